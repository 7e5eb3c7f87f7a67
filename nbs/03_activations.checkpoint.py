"""Checkpoint of 03_activations, run by `tito checkpoint` against the student's own library (each `check_*`
function a step, in order, in a fresh process; see 01_setup.checkpoint.py)."""
CAPABILITY = "activations and their gradients agree with finite differences"
LIMIT = ("Activations work, but a network's weights are loose variables passed by hand: 04 packages "
         "layers with their parameters (Module, Linear, Sequential).")


def check_forward():
    "relu, sigmoid, tanh and softmax give the textbook values"
    import numpy as np
    import tinytorch as tt
    from tinytorch.activations import relu, sigmoid, softmax, tanh
    x = np.linspace(-3, 3, 12).reshape(3, 4)
    t = tt.tensor(x)
    assert np.allclose(relu(t).numpy(), np.maximum(x, 0)), "relu differs from max(x, 0)"
    assert np.allclose(sigmoid(t).numpy(), 1 / (1 + np.exp(-x))), "sigmoid differs from 1 / (1 + exp(-x))"
    assert np.allclose(tanh(t).numpy(), np.tanh(x)), "tanh differs from NumPy's"
    e = np.exp(x - x.max(axis=1, keepdims=True))
    assert np.allclose(softmax(t, dim=1).numpy(), e / e.sum(axis=1, keepdims=True)), "softmax rows differ"


def check_gradients():
    "every hand-written backward agrees with central differences"
    import numpy as np
    import tinytorch as tt
    from tinytorch import activations as A
    rng = np.random.default_rng(7)
    x, g = rng.standard_normal((3, 4)) + 0.1, rng.standard_normal((3, 4))
    t, go = tt.tensor(x, dtype=tt.float64), tt.tensor(g, dtype=tt.float64)
    cases = {"relu": (A.relu, A.relu_backward(t, go)),
             "sigmoid": (A.sigmoid, A.sigmoid_backward(A.sigmoid(t), go)),
             "tanh": (A.tanh, A.tanh_backward(A.tanh(t), go)),
             "gelu": (A.gelu, A.gelu_backward(t, go)),
             "softmax": (lambda v: A.softmax(v, dim=1), A.softmax_backward(A.softmax(t, dim=1), go, dim=1))}
    for name, (forward, analytic) in cases.items():
        error = A.vjp_error(forward, analytic.numpy(), x, g)
        assert error < 1e-5, f"{name}_backward differs from central differences by {error:.2g}"
