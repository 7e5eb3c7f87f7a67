"""Checkpoint of 14_transformers, run by `tito checkpoint` against the student's own library (each `check_*`
function a step, in order, in a fresh process; see 01_setup.checkpoint.py)."""
CAPABILITY = "a small GPT writes Shakespeare-like text after beating the bigram model"
LIMIT = ("generate recomputes the whole prefix for every new token: the time per token grows with the length of "
         "the text. 15 makes the step itself faster, 16 caches the keys and values of the prefix.")


def check_layer_norm():
    "layer norm gives every position mean 0 and variance 1, and its gradients agree with central differences"
    import numpy as np
    import tinytorch as tt
    data = np.random.default_rng(0).standard_normal((3, 6)) * 4 + 2
    x = tt.tensor(data, requires_grad=True)
    out = tt.nn.functional.layer_norm(x, 6)
    assert np.allclose(out.numpy().mean(-1), 0) and np.allclose(out.numpy().var(-1), 1, atol=1e-4), (
        f"layer_norm's rows have means {out.numpy().mean(-1).round(4).tolist()} and variances "
        f"{out.numpy().var(-1).round(4).tolist()}; expected 0 and 1")
    weights = np.arange(18.0).reshape(3, 6)
    (out * tt.tensor(weights)).sum().backward()
    bumped, lowered = data.copy(), data.copy()
    bumped[1, 2] += 1e-6
    lowered[1, 2] -= 1e-6
    total = [(tt.nn.functional.layer_norm(tt.tensor(d), 6).numpy() * weights).sum() for d in (bumped, lowered)]
    numeric = (total[0] - total[1]) / 2e-6
    assert abs(numeric - x.grad.numpy()[1, 2]) < 1e-5, (
        f"d(sum)/dx[1, 2]: backward gave {x.grad.numpy()[1, 2]:.6f}, central differences {numeric:.6f}")
