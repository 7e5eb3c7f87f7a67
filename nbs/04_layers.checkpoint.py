"""Checkpoint of 04_layers, run by `tito checkpoint` against the student's own library (each `check_*`
function a step, in order, in a fresh process; see 01_setup.checkpoint.py)."""
CAPABILITY = "a layer learns"
LIMIT = ("Layers hold their parameters, but every gradient is still chained by hand, and the loss and "
         "the update are ad hoc: 05 builds the losses with their gradients.")


def check_linear_matches_its_formula():
    "Linear computes x @ weight.T + bias with PyTorch's shapes and finds its parameters"
    import numpy as np
    import tinytorch as tt
    tt.manual_seed(0)
    layer = tt.nn.Linear(3, 2)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    out = layer(tt.tensor(x))
    expected = x @ layer.weight.numpy().T + layer.bias.numpy()
    assert out.shape == (5, 2) and np.allclose(out.numpy(), expected, atol=1e-5), "Linear(3, 2) output differs"
    assert len(list(layer.parameters())) == 2, "Linear(3, 2).parameters() should give weight and bias"


def check_a_layer_learns():
    "a Linear layer fits a linear map by gradient descent with linear_backward"
    import numpy as np
    import tinytorch as tt
    from tinytorch.layers import linear_backward
    tt.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = x @ np.array([[2.0, -1.0, 0.5]], dtype=np.float32).T + 0.3
    layer = tt.nn.Linear(3, 1)
    for _epoch in range(300):  # full-batch gradient descent
        pred = layer(tt.tensor(x))
        grad_out = tt.tensor(2 * (pred.numpy() - y) / len(x))
        _, grad_w, grad_b = linear_backward(tt.tensor(x), layer.weight, grad_out, needs_input_grad=False)
        layer.weight.data -= 0.1 * grad_w.numpy()
        layer.bias.data -= 0.1 * grad_b.numpy()
    loss = float(((layer(tt.tensor(x)).numpy() - y) ** 2).mean())
    assert loss < 1e-3, f"after 300 steps the mean squared error is still {loss:.3g} (want < 0.001)"
