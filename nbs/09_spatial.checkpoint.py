"""Checkpoint of 09_spatial, run by `tito checkpoint` against the student's own library (each `check_*`
function a step, in order, in a fresh process; see 01_setup.checkpoint.py)."""
CAPABILITY = "a CNN survives shifted digits"
LIMIT = ("Shifting each digit one at a time in Python costs as much as the CNN's training step: the data "
         "side now limits training. 10 builds a DataLoader with batch-vectorised transforms and workers.")


def check_conv_values():
    "conv2d with stride and padding gives the sums of products of each window"
    import numpy as np
    import tinytorch as tt
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    got = tt.nn.functional.conv2d(tt.tensor(x), tt.tensor(w), tt.tensor(b), stride=2, padding=1).numpy()
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    rows, cols = (padded.shape[2] - 3) // 2 + 1, (padded.shape[3] - 2) // 2 + 1
    want = np.empty((2, 4, rows, cols))
    for i in range(rows):
        for j in range(cols):
            window = padded[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 2]
            want[:, :, i, j] = np.einsum("nchw,ochw->no", window, w) + b
    assert got.shape == want.shape, f"conv2d gave shape {got.shape}; expected {want.shape}"
    assert np.allclose(got, want), "conv2d(stride=2, padding=1) differs from the window-by-window sums"


def check_conv_gradient():
    "conv2d's gradients agree with central differences"
    import numpy as np
    import tinytorch as tt
    from tinytorch.activations import vjp_error
    conv = tt.nn.functional.conv2d
    rng = np.random.default_rng(1)
    x, w, g = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal((1, 3, 5, 5))
    tx, tw = tt.tensor(x, requires_grad=True), tt.tensor(w, requires_grad=True)
    (conv(tx, tw, padding=1) * tt.tensor(g)).sum().backward()
    for name, forward, at, grad in (("input", lambda v: conv(v, tt.tensor(w), padding=1), x, tx.grad),
                                    ("weight", lambda v: conv(tt.tensor(x), v, padding=1), w, tw.grad)):
        error = vjp_error(forward, grad.numpy(), at, g)
        assert error < 1e-5, f"conv2d's gradient with respect to its {name} differs from central differences by {error:.2g}"


def check_shifted_digits():
    "a small CNN trained on shifted copies of the digits reads digits moved by a pixel (at least 90 %)"
    import numpy as np
    import tinytorch as tt
    from tinytorch.training import Trainer, accuracy, load_digits, train_test_split
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0)
    images, tests = X_train.reshape(-1, 1, 8, 8), X_test.reshape(-1, 1, 8, 8)
    padded = np.pad(images, ((0, 0), (0, 0), (1, 1), (1, 1)))
    shifted = np.concatenate([padded[..., 1 + dy:9 + dy, 1 + dx:9 + dx] for dy in (-1, 0, 1) for dx in (-1, 0, 1)])
    labels = np.tile(y_train, 9)
    moved = np.zeros_like(tests)
    moved[..., 1:] = tests[..., :-1]
    tt.manual_seed(0)
    nn = tt.nn
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(128, 10))
    Trainer(model, nn.CrossEntropyLoss(), tt.optim.Adam(model.parameters(), lr=3e-3)).fit(
        shifted, labels, epochs=3, batch_size=64, progress=False)
    with tt.no_grad():
        score = accuracy(model(tt.tensor(moved)), tt.tensor(y_test))
    assert score >= 0.90, f"accuracy on test digits moved one pixel: {score:.1%} (want at least 90 %)"
