"""Module 15's fast pieces equal the plain ones: tiled max pooling and channels-last convolution against 09's
functions, fused cross-entropy against 05's, fused GELU against 03's, fused LayerNorm and the one-node causal LM loss
against 14's, fused self-attention against 13's MultiheadAttention, FusedAdam against 06's Adam (values and
gradients in float64 and float32, central differences, PyTorch 2.13), blocked_matmul against `@`, and
`accelerate(model)` on 09's CNN and 14's GPT over several Adam steps."""
from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.acceleration import (ChannelsLastConv2d, FusedAdam, FusedAdamW, FusedGELU, FusedLayerNorm,
                                    FusedMultiheadAttention, TiledMaxPool2d, accelerate, blocked_matmul,
                                    conv2d_channels_last, fused_causal_lm_loss, fused_cross_entropy, fused_gelu,
                                    fused_gelu_backward, fused_gelu_forward, fused_layer_norm, fused_self_attention,
                                    normal_cdf, pool_before_relu, tiled_max_pool2d)
from tinytorch.activations import _erf
from tinytorch.transformer import GPT, GPTConfig, causal_lm_loss
from tests.reference import (assert_gradients_match_central_differences, assert_matches_torch, backward_with,
                             leaves, needs_torch, torch)

F = tt.nn.functional
rng = np.random.default_rng(15)


def assert_same_as(fast, plain, arrays, rtol=1e-10, atol=1e-12):
    "fast(*tensors) and plain(*tensors): the same values and the same gradients for every float input (float64)."
    fast_inputs, plain_inputs = leaves(arrays), leaves(arrays)
    fast_out, plain_out = fast(*fast_inputs), plain(*plain_inputs)
    np.testing.assert_allclose(fast_out.numpy(), plain_out.numpy(), rtol=rtol, atol=atol, err_msg="values")
    grad = rng.standard_normal(plain_out.shape)
    backward_with(fast_out, grad)
    backward_with(plain_out, grad)
    for position, (ours, theirs) in enumerate(zip(fast_inputs, plain_inputs)):
        if theirs.requires_grad:
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=rtol, atol=atol,
                                       err_msg=f"gradient of input {position}")


@pytest.mark.parametrize("shape,k", [((2, 3, 8, 8), 2), ((1, 2, 6, 9), 3), ((3, 1, 4, 4), 4), ((2, 2, 3, 3), 1)])
def test_tiled_max_pool_equals_max_pool2d(shape, k):
    assert_same_as(lambda x: tiled_max_pool2d(x, k), lambda x: F.max_pool2d(x, k), [rng.standard_normal(shape)])


def test_tiled_max_pool_ties_go_to_the_first_maximum():
    x = np.maximum(rng.standard_normal((4, 3, 8, 8)), 0)  # many windows of zeros after ReLU
    x[0, 0, :2, :2] = 1.5  # a window of four equal maxima
    assert_same_as(lambda t: tiled_max_pool2d(t, 2), lambda t: F.max_pool2d(t, 2), [x], rtol=0, atol=0)


def test_tiled_max_pool_reads_and_writes_channels_last():
    "A channels-last input, as the convolution writes it, gives a channels-last output and a channels-last gradient."
    x = tt.tensor(rng.standard_normal((2, 6, 6, 3)).transpose(0, 3, 1, 2), requires_grad=True)  # an (N, C, H, W) view
    assert x.numpy().transpose(0, 2, 3, 1).flags.c_contiguous
    out = tiled_max_pool2d(x, 2)
    assert out.shape == (2, 3, 3, 3) and out.numpy().transpose(0, 2, 3, 1).flags.c_contiguous
    backward_with(out, rng.standard_normal(out.shape))
    assert x.grad.numpy().transpose(0, 2, 3, 1).flags.c_contiguous
    assert_same_as(lambda t: tiled_max_pool2d(t, 2), lambda t: F.max_pool2d(t, 2), [x.numpy()], rtol=0, atol=0)


def test_tiled_max_pool_falls_back_when_the_tiles_do_not_divide():
    assert_same_as(lambda x: tiled_max_pool2d(x, 2), lambda x: F.max_pool2d(x, 2), [rng.standard_normal((1, 2, 5, 6))])
    assert_same_as(lambda x: tiled_max_pool2d(x, 12), lambda x: F.max_pool2d(x, 12), [rng.standard_normal((1, 2, 12, 12))])


@pytest.mark.parametrize("kernel,padding", [((3, 3), 1), ((3, 3), 0), ((2, 2), "same"), ((1, 3), (0, 1)),
                                            ((3, 2), "valid"), ((5, 5), 2)])
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_channels_last_equals_conv2d(kernel, padding, bias):
    arrays = [rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, *kernel))]
    if bias:
        arrays.append(rng.standard_normal(4))
    assert_same_as(lambda *t: conv2d_channels_last(*t, padding=padding), lambda *t: F.conv2d(*t, padding=padding), arrays)


def test_conv2d_channels_last_gradients_match_central_differences():
    arrays = [rng.standard_normal((1, 2, 4, 4)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)]
    assert_gradients_match_central_differences(lambda *t: conv2d_channels_last(*t, padding=1), arrays)


def test_conv2d_channels_last_output_is_channels_last_and_float32_stays():
    x = tt.tensor(rng.standard_normal((2, 3, 5, 5)).astype(np.float32))
    w = tt.tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32))
    out = conv2d_channels_last(x, w, padding=1).numpy()
    assert out.dtype == np.float32 and out.shape == (2, 4, 5, 5)
    assert out.transpose(0, 2, 3, 1).flags["C_CONTIGUOUS"], "the output should be a view of a channels-last array"


def test_conv2d_channels_last_refuses_mismatched_channels():
    with pytest.raises(ValueError, match="channels"):
        conv2d_channels_last(tt.tensor(np.ones((1, 2, 4, 4))), tt.tensor(np.ones((3, 5, 3, 3))))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_fused_cross_entropy_equals_cross_entropy(reduction):
    arrays = [rng.standard_normal((7, 5)) * 4, rng.integers(0, 5, 7)]
    assert_same_as(lambda x, y: fused_cross_entropy(x, y, reduction), lambda x, y: F.cross_entropy(x, y, reduction), arrays)
    assert_gradients_match_central_differences(lambda x, y: fused_cross_entropy(x, y, reduction), arrays)


def test_fused_cross_entropy_checks_like_cross_entropy():
    with pytest.raises(IndexError, match="out of range"):
        fused_cross_entropy(tt.tensor(np.zeros((2, 3))), tt.tensor(np.array([0, 3])))
    with pytest.raises(ValueError, match="reduction"):
        fused_cross_entropy(tt.tensor(np.zeros((2, 3))), tt.tensor(np.array([0, 1])), "average")


def test_fused_cross_entropy_keeps_float32_and_large_logits():
    logits = tt.tensor(np.array([[1e4, 0.0, -1e4], [3.0, 2.0, 1.0]], dtype=np.float32), requires_grad=True)
    loss = fused_cross_entropy(logits, tt.tensor(np.array([1, 0])))
    assert loss.numpy().dtype == np.float32 and np.isfinite(loss.numpy())
    loss.backward()
    assert np.isfinite(logits.grad.numpy()).all()


@needs_torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_fused_cross_entropy_matches_torch(reduction):
    arrays = [rng.standard_normal((6, 4)) * 3, rng.integers(0, 4, 6)]
    assert_matches_torch(lambda x, y: fused_cross_entropy(x, y, reduction),
                         lambda x, y: torch.nn.functional.cross_entropy(x, y, reduction=reduction), arrays)


@needs_torch
def test_conv2d_channels_last_matches_torch():
    arrays = [rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)]
    assert_matches_torch(lambda *t: conv2d_channels_last(*t, padding=1),
                         lambda *t: torch.nn.functional.conv2d(*t, padding=1), arrays)


@pytest.mark.parametrize("shape,block", [((64, 64, 64), 16), ((37, 50, 23), 8), ((5, 3, 4), 100), ((6, 7, 8), 1)])
def test_blocked_matmul_equals_matmul(shape, block):
    m, k, n = shape
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    np.testing.assert_allclose(blocked_matmul(a, b, block), a @ b, rtol=1e-12, atol=1e-12)


def test_blocked_matmul_dtypes_and_errors():
    a32 = rng.standard_normal((4, 5)).astype(np.float32)
    assert blocked_matmul(a32, a32.T, 2).dtype == np.float32
    assert blocked_matmul(a32, a32.T.astype(np.float64), 2).dtype == np.float64
    ints = rng.integers(-3, 3, (4, 4))
    np.testing.assert_array_equal(blocked_matmul(ints, ints, 3), ints @ ints)
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        blocked_matmul(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="block"):
        blocked_matmul(np.ones((2, 2)), np.ones((2, 2)), 0)


def make_cnn():
    tt.manual_seed(0)
    return tt.Sequential(tt.Conv2d(1, 16, 3, padding=1), tt.ReLU(), tt.MaxPool2d(2), tt.Conv2d(16, 32, 3, padding=1),
                         tt.ReLU(), tt.MaxPool2d(2), tt.Flatten(), tt.Linear(128, 10)).to(np.float64)


def test_accelerate_swaps_layers_and_shares_parameters():
    model = make_cnn()
    before = [id(p) for p in model.parameters()]
    fast = accelerate(model)
    assert fast is model
    assert [type(m) for m in fast] == [ChannelsLastConv2d, TiledMaxPool2d, tt.ReLU, ChannelsLastConv2d, TiledMaxPool2d,
                                       tt.ReLU, tt.Flatten, tt.Linear]
    assert [id(p) for p in fast.parameters()] == before
    nested = accelerate(tt.Sequential(tt.Sequential(tt.Conv2d(1, 2, 3, stride=2), tt.MaxPool2d(3, stride=1))))
    inner = nested[0]
    assert isinstance(inner[0], ChannelsLastConv2d) and isinstance(inner[1], TiledMaxPool2d)
    x = tt.tensor(rng.standard_normal((1, 1, 9, 9)))  # stride 2 and overlapping windows: both fall back to 09's
    np.testing.assert_allclose(inner(x).numpy(), F.max_pool2d(F.conv2d(x, inner[0].weight, inner[0].bias, stride=2), 3,
                                                              stride=1).numpy())


def test_pool_before_relu_keeps_values_and_gradients():
    x = rng.standard_normal((3, 2, 6, 6))
    x[0, 0, :2, :2] = -1.0  # a window whose maximum is negative, with ties
    x[1, 1, :3, :3] = 0.0  # zeros tied
    for pool in (tt.MaxPool2d(2), tt.MaxPool2d(3, stride=1, padding=1)):
        plain, swapped = tt.Sequential(tt.ReLU(), pool), pool_before_relu(tt.Sequential(tt.ReLU(), pool))
        assert [type(m) for m in swapped] == [type(pool), tt.ReLU]
        assert_same_as(swapped, plain, [x], rtol=0, atol=0)


def test_accelerated_cnn_trains_exactly_like_the_reference():
    X, y = tt.load_digits()
    x, labels = tt.tensor(X[:64].reshape(-1, 1, 8, 8).astype(np.float64)), tt.tensor(y[:64])
    losses = {}
    for name, model, loss_fn in (("plain", make_cnn(), F.cross_entropy), ("fast", accelerate(make_cnn()), fused_cross_entropy)):
        optimizer = tt.optim.Adam(model.parameters(), lr=3e-3)
        losses[name] = []
        for _ in range(5):
            optimizer.zero_grad()
            loss = loss_fn(model(x), labels)
            loss.backward()
            optimizer.step()
            losses[name].append(float(loss.numpy()))
        losses[name + " weights"] = [p.numpy().copy() for p in model.parameters()]
    np.testing.assert_allclose(losses["fast"], losses["plain"], rtol=1e-10)
    for ours, theirs in zip(losses["fast weights"], losses["plain weights"]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 4, 6)])
def test_fused_gelu_equals_gelu(shape):
    x = rng.standard_normal(shape) * 3
    x.flat[0] = 4.5  # erf's second series
    assert_same_as(fused_gelu, F.gelu, [x], rtol=1e-12, atol=1e-15)
    assert_gradients_match_central_differences(fused_gelu, [x])


def test_normal_cdf_in_float32_is_within_two_ten_millionths_of_phi():
    x = np.concatenate([np.linspace(-9, 9, 200_001), rng.standard_normal(10_000) * 2,
                        [0.0, -0.0, 2.1213202, -2.1213205, 1e-30, 3e38, -3e38, np.inf, -np.inf, np.nan]]).astype(np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # NumPy's warnings (underflow is silent)
        cdf = normal_cdf(x)
    exact = 0.5 * (1 + _erf(x.astype(np.float64) * np.sqrt(0.5)))  # 03's erf, exact to float64's last place
    assert cdf.dtype == np.float32 and cdf.shape == x.shape
    assert np.isnan(cdf[-1]) and np.array_equal(cdf[-3:-1], [1.0, 0.0])
    assert np.abs(cdf[:-1] - exact[:-1]).max() <= 2e-7
    assert np.all(np.diff(cdf[:200_001]) >= 0)  # Φ never decreases


def test_normal_cdf_takes_any_layout_and_is_03s_in_float64():
    x = rng.standard_normal((6, 5, 4)).astype(np.float32).transpose(2, 0, 1) * 3
    np.testing.assert_array_equal(normal_cdf(x), normal_cdf(np.ascontiguousarray(x)))
    x64 = rng.standard_normal(50) * 4
    np.testing.assert_array_equal(normal_cdf(x64), (_erf(x64 * np.sqrt(0.5)) + 1) * 0.5)


def test_fused_gelu_float32_and_saved_arrays_unchanged():
    x = (rng.standard_normal((4, 9)) * 4).astype(np.float32)
    grad = rng.standard_normal(x.shape).astype(np.float32)
    values, cdf = fused_gelu_forward(x)
    kept_x, kept_cdf = x.copy(), cdf.copy()
    back = fused_gelu_backward(grad, x, cdf)
    assert values.dtype == cdf.dtype == back.dtype == np.float32
    np.testing.assert_array_equal(x, kept_x)
    np.testing.assert_array_equal(cdf, kept_cdf)
    plain = F.gelu(tt.tensor(x)).numpy()
    np.testing.assert_allclose(values, plain, rtol=1e-6, atol=1e-7)


def test_fused_gelu_layer_falls_back_for_tanh():
    layer = accelerate(tt.Sequential(tt.GELU(approximate="tanh")))[0]
    assert isinstance(layer, FusedGELU)
    x = tt.tensor(rng.standard_normal((3, 4)))
    np.testing.assert_allclose(layer(x).numpy(), F.gelu(x, approximate="tanh").numpy())


@pytest.mark.parametrize("shape", [(5, 8), (2, 3, 16), (1, 1)])
@pytest.mark.parametrize("affine,bias", [(True, True), (True, False), (False, False)])
def test_fused_layer_norm_equals_layer_norm(shape, affine, bias):
    n = shape[-1]
    arrays = [rng.standard_normal(shape) * 2 + 1]
    if affine:
        arrays.append(rng.standard_normal(n))
    if bias:
        arrays.append(rng.standard_normal(n))

    def call(fn):
        return lambda x, w=None, b=None: fn(x, n, w, b, 1e-5)
    assert_same_as(call(fused_layer_norm), call(F.layer_norm), arrays, rtol=1e-9, atol=1e-11)
    assert_gradients_match_central_differences(call(fused_layer_norm), arrays, rtol=1e-5, atol=1e-6)


def test_fused_layer_norm_float32_and_fallback():
    x = rng.standard_normal((6, 32)).astype(np.float32)
    w, b = (tt.tensor(rng.standard_normal(32).astype(np.float32)) for _ in range(2))
    ours = fused_layer_norm(tt.tensor(x), 32, w, b)
    assert ours.numpy().dtype == np.float32
    np.testing.assert_allclose(ours.numpy(), F.layer_norm(tt.tensor(x), 32, w, b).numpy(), rtol=1e-5, atol=1e-5)
    wide = rng.standard_normal((2, 3, 4))  # over the last two axes: 14's layer_norm
    np.testing.assert_allclose(fused_layer_norm(tt.tensor(wide), (3, 4)).numpy(), F.layer_norm(tt.tensor(wide), (3, 4)).numpy())
    with pytest.raises(ValueError, match="normalized_shape"):
        fused_layer_norm(tt.tensor(wide), 5)


@needs_torch
def test_fused_gelu_and_layer_norm_match_torch():
    assert_matches_torch(fused_gelu, torch.nn.functional.gelu, [rng.standard_normal((3, 7)) * 3])
    arrays = [rng.standard_normal((4, 5, 16)), rng.standard_normal(16), rng.standard_normal(16)]
    assert_matches_torch(lambda x, w, b: fused_layer_norm(x, 16, w, b),
                         lambda x, w, b: torch.nn.functional.layer_norm(x, (16,), w, b), arrays, rtol=1e-6, atol=1e-8)


def test_fused_causal_lm_loss_equals_causal_lm_loss():
    ids = rng.integers(0, 7, (3, 6))
    assert_same_as(lambda logits: fused_causal_lm_loss(logits, ids), lambda logits: causal_lm_loss(logits, ids),
                   [rng.standard_normal((3, 6, 7))])


def make_gpt():
    tt.manual_seed(0)
    return GPT(GPTConfig(vocab_size=13, block_size=8, n_layer=2, n_head=2, n_embd=16), dtype=tt.float64)


def test_accelerated_gpt_trains_like_the_reference():
    ids = rng.integers(0, 13, (4, 8))
    plain, fast = make_gpt(), accelerate(make_gpt())
    kinds = {type(m) for m in fast.modules()}
    assert FusedGELU in kinds and FusedLayerNorm in kinds and tt.GELU not in kinds and tt.nn.LayerNorm not in kinds
    assert FusedMultiheadAttention in kinds and tt.nn.MultiheadAttention not in kinds
    assert fast.lm_head.weight is fast.wte.weight, "the tied head must stay tied"
    results = {}
    for name, model, loss_fn in (("plain", plain, causal_lm_loss), ("fast", fast, fused_causal_lm_loss)):
        optimizer = tt.optim.Adam(model.parameters(), lr=3e-3)
        results[name] = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = loss_fn(model(ids), ids)
            loss.backward()
            results[name].append([float(loss.numpy())] + [p.grad.numpy().copy() for p in model.parameters()])
            optimizer.step()
    for fast_step, plain_step in zip(results["fast"], results["plain"]):
        np.testing.assert_allclose(fast_step[0], plain_step[0], rtol=1e-10)
        for ours, theirs in zip(fast_step[1:], plain_step[1:]):
            np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("is_causal", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_fused_self_attention_equals_multihead_attention(is_causal, bias):
    tt.manual_seed(1)
    layer = tt.nn.MultiheadAttention(12, 3, bias=bias, batch_first=True, dtype=tt.float64)
    params = [layer.in_proj_weight] + ([layer.in_proj_bias] if bias else [])
    arrays = [rng.standard_normal((2, 5, 12))] + [p.numpy().copy() for p in params]

    def plain(x, weight, b=None):
        layer.in_proj_weight, layer.in_proj_bias = weight, b
        heads = layer.out_proj  # 13's forward up to the output projection: the projection replaced by the identity
        layer.out_proj = lambda t: t
        try:
            return layer(x, x, x, need_weights=False, is_causal=is_causal)[0]
        finally:
            layer.out_proj = heads

    assert_same_as(lambda x, weight, b=None: fused_self_attention(x, weight, b, 3, is_causal), plain, arrays)


def test_fused_self_attention_gradients_match_central_differences():
    arrays = [rng.standard_normal((2, 4, 6)), rng.standard_normal((18, 6)) * 0.5, rng.standard_normal(18)]
    assert_gradients_match_central_differences(lambda x, w, b: fused_self_attention(x, w, b, 2, True), arrays)


def test_fused_multihead_attention_falls_back_and_keeps_float32():
    tt.manual_seed(2)
    plain = tt.nn.MultiheadAttention(8, 2, batch_first=True)
    fast = accelerate(tt.Sequential(plain))[0]
    assert type(fast) is FusedMultiheadAttention and fast.in_proj_weight is plain.in_proj_weight
    x = tt.tensor(rng.standard_normal((3, 5, 8)).astype(np.float32))
    out, weights = fast(x, x, x, need_weights=False, is_causal=True)
    assert weights is None and out.numpy().dtype == np.float32
    np.testing.assert_allclose(out.numpy(), tt.nn.MultiheadAttention.forward(fast, x, x, x, need_weights=False,
                                                                             is_causal=True)[0].numpy(), rtol=1e-5, atol=1e-6)
    other = tt.tensor(rng.standard_normal((3, 4, 8)).astype(np.float32))
    for args, kwargs in (((x, x, x), {}), ((x, other, other), {"need_weights": False}),
                         ((x, x, x), {"need_weights": False, "key_padding_mask": np.zeros((3, 5), bool)})):
        ours, theirs = fast(*args, **kwargs), tt.nn.MultiheadAttention.forward(fast, *args, **kwargs)
        np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())  # 13's forward itself: the same numbers


def test_fused_causal_lm_loss_is_one_node_and_checks_ids():
    logits = tt.tensor(rng.standard_normal((2, 5, 7)).astype(np.float32), requires_grad=True)
    ids = rng.integers(0, 7, (2, 5))
    loss = fused_causal_lm_loss(logits, ids)
    assert loss.grad_fn.inputs[0] is logits and loss.numpy().dtype == np.float32
    loss.backward()
    assert logits.grad.numpy().dtype == np.float32 and not logits.grad.numpy()[:, -1].any()
    with pytest.raises(IndexError, match="out of range"):
        fused_causal_lm_loss(logits, np.full((2, 5), 7))


@pytest.mark.parametrize("plain_class,fused_class,settings", [(tt.optim.Adam, FusedAdam, {}),
                                                              (tt.optim.Adam, FusedAdam, {"weight_decay": 0.1}),
                                                              (tt.optim.AdamW, FusedAdamW, {})])
@pytest.mark.parametrize("gradient_missing", [False, True])
def test_fused_adam_updates_exactly_like_adam(plain_class, fused_class, settings, gradient_missing):
    ids = rng.integers(0, 13, (4, 8))
    plain, fused = make_gpt(), make_gpt()
    optimizers = plain_class(plain.parameters(), lr=1e-2, **settings), fused_class(fused.parameters(), lr=1e-2, **settings)
    for step in range(4):
        for model, optimizer in zip((plain, fused), optimizers):
            optimizer.zero_grad()
            causal_lm_loss(model(ids), ids).backward()
            if gradient_missing and step == 2:
                model.wpe.weight.grad = None  # from here on parameter by parameter
            optimizer.step()
        if step == 1:  # a saved state, loaded back into the flat running means
            optimizers[1].load_state_dict(optimizers[1].state_dict())
    for (name, ours), theirs in zip(fused.named_parameters(), plain.parameters()):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=name)
    assert fused.lm_head.weight is fused.wte.weight


def test_fused_adam_parameters_are_views_of_one_array_and_mixed_dtypes_fall_back():
    model = tt.Sequential(tt.Linear(3, 4), tt.Linear(4, 2))
    optimizer = FusedAdam(model.parameters())
    model(tt.tensor(np.ones((2, 3), dtype=np.float32))).sum().backward()
    optimizer.step()  # the parameters move at the first step
    bases = {id(p.data.base) for p in model.parameters()}
    assert len(bases) == 1 and all(p.data.dtype == np.float32 for p in model.parameters())
    mixed = tt.Sequential(tt.Linear(3, 4), tt.Linear(4, 2, dtype=tt.float64))
    arrays = [p.data for p in mixed.parameters()]
    optimizer = FusedAdam(mixed.parameters(), lr=0.1)
    assert all(p.data is a for p, a in zip(mixed.parameters(), arrays)), "mixed dtypes: the parameters stay where they were"
    mixed(tt.tensor(np.ones((2, 3), dtype=np.float32))).sum().backward()
    optimizer.step()
    assert all(np.isfinite(p.numpy()).all() for p in mixed.parameters())


def test_fused_adam_float32_bit_for_bit():
    tt.manual_seed(3)
    plain = tt.Sequential(tt.Linear(5, 7), tt.GELU(), tt.Linear(7, 3))
    fused = tt.Sequential(tt.Linear(5, 7), tt.GELU(), tt.Linear(7, 3))
    fused.load_state_dict(plain.state_dict())
    x = tt.tensor(rng.standard_normal((4, 5)).astype(np.float32))
    optimizers = tt.optim.Adam(plain.parameters(), lr=0.05, weight_decay=0.01), FusedAdam(fused.parameters(), lr=0.05,
                                                                                          weight_decay=0.01)
    for _ in range(3):
        for model, optimizer in zip((plain, fused), optimizers):
            optimizer.zero_grad()
            (model(x) ** 2).sum().backward()
            optimizer.step()
    for ours, theirs in zip(fused.parameters(), plain.parameters()):
        assert ours.numpy().dtype == np.float32
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
