"""Checkpoint of 07_autograd, run by `tito checkpoint` against the student's own library (each `check_*`
function a step, in order, in a fresh process; see 01_setup.checkpoint.py)."""
CAPABILITY = "autograd agrees with finite differences"
LIMIT = ("backward() finds every gradient, but the training loop around it is still hand-written: no "
         "batches, no validation, nothing stops a run whose loss became nan. 08 builds the Trainer.")


def check_gradients():
    "backward() of a small MLP's loss agrees with central differences"
    import numpy as np
    import tinytorch as tt
    rng = np.random.default_rng(0)
    x, target = rng.standard_normal((4, 3)), rng.integers(0, 2, 4)
    w = rng.standard_normal((3, 2))

    def loss_of(w_values):
        weight = tt.tensor(w_values, dtype=tt.float64, requires_grad=True)
        return tt.nn.functional.cross_entropy(tt.tensor(x, dtype=tt.float64) @ weight, tt.tensor(target)), weight

    loss, weight = loss_of(w)
    loss.backward()
    numeric = np.zeros_like(w)
    for index in np.ndindex(w.shape):
        step = np.zeros_like(w)
        step[index] = 1e-6
        numeric[index] = (loss_of(w + step)[0].item() - loss_of(w - step)[0].item()) / 2e-6
    error = float(np.abs(weight.grad.numpy() - numeric).max())
    assert error < 1e-5, f"backward() differs from central differences by {error:.2g}"


def check_reused_node():
    "a tensor used twice gets the sum of both gradients"
    import tinytorch as tt
    a = tt.tensor([2.0], requires_grad=True)
    (a * a + a).sum().backward()
    assert abs(a.grad.numpy()[0] - 5.0) < 1e-6, f"d(a*a + a)/da at a=2 should be 5, got {a.grad.numpy()[0]}"
