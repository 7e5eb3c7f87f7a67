"""Checkpoint of 02_tensor, run by `tito checkpoint` against the student's own library (each `check_*`
function a step, in order, in a fresh process; see 01_setup.checkpoint.py)."""
CAPABILITY = "tensors match NumPy"
LIMIT = ("A Tensor computes like NumPy, but layers of matrix products alone stay linear (they cannot "
         "even learn XOR): 03 builds the nonlinear activations that go between them.")


def _data():
    import numpy as np
    rng = np.random.default_rng(0)
    return rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal((3, 5))


def check_elementwise():
    "arithmetic with broadcasting gives NumPy's numbers"
    import numpy as np
    import tinytorch as tt
    a, b, _ = _data()
    got = (tt.tensor(a) * tt.tensor(b) + 1 - tt.tensor(b) / 2).numpy()
    assert np.allclose(got, a * b + 1 - b / 2), "a * b + 1 - b / 2 differs from NumPy's result"


def check_matmul_and_reductions():
    "matmul, sum, mean and max agree with NumPy"
    import numpy as np
    import tinytorch as tt
    a, _, c = _data()
    t = tt.tensor(a) @ tt.tensor(c)
    assert np.allclose(t.numpy(), a @ c), "a @ c differs from NumPy's matmul"
    assert np.allclose(t.sum(dim=0).numpy(), (a @ c).sum(axis=0)), "sum(dim=0) differs from NumPy"
    assert np.isclose(t.mean().item(), (a @ c).mean()), "mean() differs from NumPy"
    assert np.allclose(t.max(dim=1).values.numpy(), (a @ c).max(axis=1)), "max(dim=1).values differs from NumPy"


def check_views():
    "transposes and reshapes are views with NumPy's shapes"
    import numpy as np
    import tinytorch as tt
    a, _, _ = _data()
    t = tt.tensor(a)
    assert t.T.shape == (3, 4) and np.allclose(t.T.numpy(), a.T), "t.T differs from NumPy's transpose"
    assert t.reshape(2, 6).shape == (2, 6) and np.allclose(t.reshape(2, 6).numpy(), a.reshape(2, 6)), (
        "reshape(2, 6) differs from NumPy's")
