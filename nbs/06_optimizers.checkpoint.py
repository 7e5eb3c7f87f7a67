"""Checkpoint of 06_optimizers, run by `tito checkpoint` against the student's own library (each `check_*`
function a step, in order, in a fresh process; see 01_setup.checkpoint.py)."""
CAPABILITY = "optimizers find a minimum"
LIMIT = ("Optimizers work, but every architecture still needs its backward chain derived and wired by "
         "hand, and a slip is silent: 07 builds automatic differentiation.")


def _minimise(make_optimizer, steps: int) -> float:
    "Minimise |p - target|^2 with gradients set by hand; return the distance left."
    import numpy as np
    import tinytorch as tt
    target = np.array([3.0, -2.0, 0.5], dtype=np.float32)
    p = tt.nn.Parameter(tt.zeros(3))
    optimizer = make_optimizer([p])
    for _ in range(steps):
        optimizer.zero_grad()
        p.grad = tt.tensor(2 * (p.numpy() - target))
        optimizer.step()
    return float(np.abs(p.numpy() - target).max())


def check_sgd_momentum():
    "SGD with momentum reaches the minimum of a quadratic"
    import tinytorch as tt
    left = _minimise(lambda ps: tt.optim.SGD(ps, lr=0.05, momentum=0.9), 200)
    assert left < 1e-3, f"SGD(momentum=0.9) is still {left:.3g} from the minimum after 200 steps"


def check_adam():
    "Adam reaches the minimum of a quadratic"
    import tinytorch as tt
    left = _minimise(lambda ps: tt.optim.Adam(ps, lr=0.1), 500)
    assert left < 1e-2, f"Adam(lr=0.1) is still {left:.3g} from the minimum after 500 steps"
