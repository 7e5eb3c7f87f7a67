"""Checkpoint of 15_acceleration, run by `tito checkpoint` against the student's own library (each `check_*`
function a step, in order, in a fresh process; see 01_setup.checkpoint.py)."""
CAPABILITY = ("09's CNN and 14's GPT train with the same numbers, faster: tiled pooling, channels-last convolution, "
              "fused loss, GELU and LayerNorm")
LIMIT = ("The step is now bound by a Python call per operation; what is left to save is work done twice. Generation "
         "with 14's GPT recomputes the keys and values of the whole prefix for every new token; 16 caches them.")


def check_fused_loss():
    "fused_cross_entropy gives 05's cross_entropy and its gradient"
    import numpy as np

    from tinytorch import tensor
    from tinytorch.acceleration import fused_cross_entropy
    from tinytorch.losses import cross_entropy
    logits = tensor(np.array([[2.0, -1.0, 0.5], [0.0, 0.0, 30.0]]), requires_grad=True)
    labels = tensor(np.array([0, 1]))
    fused_cross_entropy(logits, labels).backward()
    fused = logits.grad.data.copy()
    logits.grad = None
    plain = cross_entropy(logits, labels)
    plain.backward()
    assert np.allclose(fused_cross_entropy(logits, labels).data, plain.data) and np.allclose(fused, logits.grad.data), (
        f"fused_cross_entropy's loss {float(fused_cross_entropy(logits, labels).data):.6f} or gradient {fused.tolist()} "
        f"differs from cross_entropy's ({float(plain.data):.6f}, {logits.grad.data.tolist()})")


def check_blocked_matmul():
    "a matrix product tile by tile equals a @ b"
    import numpy as np

    from tinytorch.acceleration import blocked_matmul
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((70, 45)), rng.standard_normal((45, 33))
    got = blocked_matmul(a, b, 16)
    assert np.allclose(got, a @ b), f"blocked_matmul(70x45, 45x33, 16) differs from a @ b by {np.abs(got - a @ b).max():.3g}"


def check_accelerated_cnn():
    "the accelerated digits CNN takes the same training steps as 09's"
    import numpy as np

    from tinytorch import manual_seed, tensor
    from tinytorch.acceleration import accelerate, fused_cross_entropy
    from tinytorch.layers import Flatten, Linear, ReLU, Sequential
    from tinytorch.losses import cross_entropy
    from tinytorch.optimizers import Adam
    from tinytorch.spatial import Conv2d, MaxPool2d
    from tinytorch.training import load_digits
    X, y = load_digits()
    x, labels = tensor(X[:32].reshape(-1, 1, 8, 8).astype(np.float64)), tensor(y[:32])
    losses = []
    for fast in (False, True):
        manual_seed(0)
        model = Sequential(Conv2d(1, 8, 3, padding=1), ReLU(), MaxPool2d(2), Conv2d(8, 8, 3, padding=1), ReLU(),
                           MaxPool2d(2), Flatten(), Linear(32, 10)).to(np.float64)
        model, loss_fn = (accelerate(model), fused_cross_entropy) if fast else (model, cross_entropy)
        optimizer = Adam(model.parameters(), lr=1e-2)
        for _ in range(3):
            optimizer.zero_grad()
            loss = loss_fn(model(x), labels)
            loss.backward()
            optimizer.step()
        losses.append(float(loss.data))
    assert abs(losses[0] - losses[1]) < 1e-8, f"after 3 steps the accelerated CNN's loss is {losses[1]:.10f}, 09's {losses[0]:.10f}"


def check_accelerated_gpt():
    "the accelerated GPT (fused GELU and LayerNorm) has 14's loss and gradients"
    import numpy as np

    from tinytorch import manual_seed
    from tinytorch.acceleration import accelerate, fused_causal_lm_loss
    from tinytorch.transformer import GPT, GPTConfig, causal_lm_loss
    ids = np.random.default_rng(1).integers(0, 9, (2, 6))
    results = []
    for fast in (False, True):
        manual_seed(0)
        model = GPT(GPTConfig(vocab_size=9, block_size=6, n_layer=1, n_head=2, n_embd=8), dtype=np.float64)
        model, loss_fn = (accelerate(model), fused_causal_lm_loss) if fast else (model, causal_lm_loss)
        loss = loss_fn(model(ids), ids)
        loss.backward()
        results.append((float(loss.data), model.blocks[0].mlp[0].weight.grad.data.copy()))
    (plain_loss, plain_grad), (fast_loss, fast_grad) = results
    assert abs(plain_loss - fast_loss) < 1e-10 and np.allclose(plain_grad, fast_grad, rtol=1e-8, atol=1e-12), (
        f"the accelerated GPT's loss {fast_loss:.10f} (14's {plain_loss:.10f}) or its first MLP weight's gradient "
        f"(largest difference {np.abs(plain_grad - fast_grad).max():.3g}) differs from 14's GPT's")
