"""Checkpoint of 05_losses, run by `tito checkpoint` against the student's own library (each `check_*`
function a step, in order, in a fresh process; see 01_setup.checkpoint.py)."""
CAPABILITY = "losses and their gradients agree with their definitions"
LIMIT = ("A loss has a gradient, but nothing uses it well: plain steps of a fixed size crawl or diverge. "
         "06 builds optimizers (momentum, Adam) and learning-rate schedules.")


def check_cross_entropy():
    "cross_entropy is the mean negative log-softmax of the right class"
    import numpy as np
    import tinytorch as tt
    from tinytorch.losses import cross_entropy
    rng = np.random.default_rng(0)
    logits, target = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    got = cross_entropy(tt.tensor(logits), tt.tensor(target)).item()
    assert np.isclose(got, -log_p[np.arange(6), target].mean()), "cross_entropy differs from -mean(log_softmax)"


def check_gradients():
    "mse_loss and cross_entropy gradients agree with central differences"
    import numpy as np
    import tinytorch as tt
    from tinytorch.activations import vjp_error
    from tinytorch.losses import cross_entropy, cross_entropy_backward, mse_loss, mse_loss_backward
    rng = np.random.default_rng(7)
    x, y, target = rng.standard_normal((5, 3)), rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    one = tt.tensor(1.0, dtype=tt.float64)
    for name, forward, backward in [
            ("mse_loss", lambda v: mse_loss(v, tt.tensor(y)), lambda v: mse_loss_backward(v, tt.tensor(y), one)),
            ("cross_entropy", lambda v: cross_entropy(v, tt.tensor(target)),
             lambda v: cross_entropy_backward(v, tt.tensor(target), one))]:
        analytic = backward(tt.tensor(x, dtype=tt.float64)).numpy()
        error = vjp_error(forward, analytic, x, np.array(1.0))
        assert error < 1e-5, f"{name}_backward differs from central differences by {error:.2g}"
