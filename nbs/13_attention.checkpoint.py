"""Checkpoint of 13_attention, run by `tito checkpoint` against the student's own library (each `check_*`
function a step, in order, in a fresh process; see 01_setup.checkpoint.py)."""
CAPABILITY = "every position of a sequence looks at every other, one head or many"
LIMIT = ("Attention only mixes positions: it has no computation per position, no depth, no normalisation. "
         "14 builds the transformer block (layer norm, attention, MLP, residuals) and a GPT on Tiny Shakespeare.")


def check_causal_attention():
    "causal attention of three positions: the first sees itself only, no position sees the future"
    import numpy as np
    import tinytorch as tt
    values = tt.tensor(np.array([[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]]))
    keys = tt.tensor(np.zeros((3, 4)))  # equal scores: each query averages the values it may see
    out = tt.nn.functional.scaled_dot_product_attention(keys, keys, values, is_causal=True).numpy()
    want = np.array([[1.0, 0.0], [0.5, 0.5], [2.0, 2.0]])
    assert np.allclose(out, want), f"causal attention with equal scores gave {out.tolist()}; expected {want.tolist()}"
    blocked = np.array([[False, False, False], [True, True, True], [True, True, True]])
    out = tt.nn.functional.scaled_dot_product_attention(keys, keys, values, attn_mask=blocked).numpy()
    assert np.array_equal(out[0], [0.0, 0.0]), f"a query that may attend to nothing gave {out[0].tolist()}; expected zeros"


def check_gradients():
    "attention's gradients agree with central differences"
    import numpy as np
    import tinytorch as tt
    rng = np.random.default_rng(0)
    data = [rng.standard_normal((2, 4, 3)) for _ in range(3)]
    inputs = [tt.tensor(a, requires_grad=True) for a in data]
    tt.nn.functional.scaled_dot_product_attention(*inputs, is_causal=True).sum().backward()
    for position, name in enumerate("qkv"):
        bumped = [a.copy() for a in data]
        bumped[position][1, 2, 0] += 1e-6
        lowered = [a.copy() for a in data]
        lowered[position][1, 2, 0] -= 1e-6
        total = [tt.nn.functional.scaled_dot_product_attention(*map(tt.tensor, d), is_causal=True).numpy().sum()
                 for d in (bumped, lowered)]
        numeric = (total[0] - total[1]) / 2e-6
        analytic = inputs[position].grad.numpy()[1, 2, 0]
        assert abs(numeric - analytic) < 1e-5, f"d(sum)/d{name}[1, 2, 0]: backward gave {analytic:.6f}, central differences {numeric:.6f}"


def check_multihead():
    "nn.MultiheadAttention(16, 4) keeps the shape of a batch and returns the weights averaged over the heads"
    import numpy as np
    import tinytorch as tt
    tt.manual_seed(0)
    layer = tt.nn.MultiheadAttention(16, 4, batch_first=True)
    x = tt.tensor(np.random.default_rng(1).standard_normal((2, 7, 16)).astype(np.float32))
    out, weights = layer(x, x, x, attn_mask=np.triu(np.ones((7, 7), bool), 1))
    assert out.shape == (2, 7, 16) and weights.shape == (2, 7, 7), (
        f"MultiheadAttention(16, 4) on (2, 7, 16) gave output {out.shape} and weights {weights.shape}; "
        "expected (2, 7, 16) and (2, 7, 7)")
    assert np.allclose(weights.numpy().sum(axis=-1), 1) and np.allclose(np.triu(weights.numpy()[0], 1), 0), (
        "each query's weights must sum to 1, and none may fall on a later position under the causal mask")
