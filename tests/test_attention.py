"""Module 13's attention: `F.scaled_dot_product_attention` and `nn.MultiheadAttention` against PyTorch 2.13 in
float64 (values and gradients over bool, float and causal masks, head counts, lengths 1..T, fully masked
queries), gradients against central differences, seeded dropout, errors, and module 19's FLOP count and profiler."""
from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.benchmarking as bm
from tests.reference import assert_gradients_match_central_differences, needs_torch, torch

F = tt.nn.functional
rng = np.random.default_rng(13)


def torch_sdpa(*args, **kwargs):
    "PyTorch's scaled_dot_product_attention on its math path (the reference the brief names)."
    from torch.nn.attention import SDPBackend, sdpa_kernel

    with sdpa_kernel(SDPBackend.MATH):
        return torch.nn.functional.scaled_dot_product_attention(*args, **kwargs)


def random_mask(kind: str, L: int, S: int, lead: tuple[int, ...] = ()):
    "A mask of `kind` for (L, S) scores: None, 'bool' (True = may attend, some queries fully masked), 'float'."
    if kind == "bool":
        mask = rng.random(lead + (L, S)) > 0.4
        mask[..., 0, :] = False  # the first query may attend to nothing
        return mask
    if kind == "float":
        return rng.standard_normal(lead + (L, S))
    return None


def compare_sdpa(q, k, v, mask=None, is_causal=False, scale=None):
    "Forward values and the gradients of q, k, v of tinytorch and PyTorch agree in float64."
    ours = [tt.tensor(a, requires_grad=True) for a in (q, k, v)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(*ours, attn_mask=mask, is_causal=is_causal, scale=scale)
    expected = torch_sdpa(*theirs, attn_mask=None if mask is None else torch.tensor(mask), is_causal=is_causal, scale=scale)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg="values")
    grad = rng.standard_normal(out.shape)
    out.backward(tt.tensor(grad))
    expected.backward(torch.tensor(grad))
    for name, a, b in zip("qkv", ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"grad of {name}")


@needs_torch
@pytest.mark.parametrize("mask", [None, "bool", "float", "causal"])
@pytest.mark.parametrize("heads", [1, 2, 4])
@pytest.mark.parametrize("L,S", [(1, 1), (1, 4), (4, 1), (3, 5), (5, 3), (6, 6)])
def test_sdpa_matches_torch(mask, heads, L, S):
    q, k, v = rng.standard_normal((2, heads, L, 8)), rng.standard_normal((2, heads, S, 8)), rng.standard_normal((2, heads, S, 5))
    if mask == "causal":
        compare_sdpa(q, k, v, is_causal=True)
    else:
        compare_sdpa(q, k, v, random_mask(mask, L, S, [(), (heads,), (2, heads), (2, 1)][rng.integers(0, 4)]))


@needs_torch
@pytest.mark.parametrize("T", range(1, 9))
def test_sdpa_causal_over_lengths_and_a_scale(T):
    q, k, v = (rng.standard_normal((3, T, 4)) for _ in range(3))
    compare_sdpa(q, k, v, is_causal=True, scale=0.3)
    compare_sdpa(q[0], k[0], v[0], is_causal=True)  # no leading dimension at all


@needs_torch
def test_fully_masked_queries_give_zeros_like_torch():
    "PyTorch 2.13's math path gives a query that may attend to nothing zeros (values and gradients), never nan."
    q, k, v = (rng.standard_normal((2, 3, 4)) for _ in range(3))
    allowed = np.ones((3, 3), bool)
    allowed[1] = False
    compare_sdpa(q, k, v, allowed)
    out = F.scaled_dot_product_attention(*(tt.tensor(a) for a in (q, k, v)), attn_mask=allowed)
    assert np.array_equal(out.numpy()[:, 1], np.zeros((2, 4)))
    minus_inf = np.where(allowed, 0.0, -np.inf)
    compare_sdpa(q, k, v, minus_inf)


def test_sdpa_gradients_match_central_differences():
    mask = random_mask("float", 3, 4)
    assert_gradients_match_central_differences(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
        [rng.standard_normal((2, 3, 5)), rng.standard_normal((2, 4, 5)), rng.standard_normal((2, 4, 2))])


def test_dropout_is_seeded_scaled_and_differentiable():
    q, k, v = (tt.tensor(rng.standard_normal((4, 16, 8)), requires_grad=True) for _ in range(3))
    tt.manual_seed(3)
    first = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    tt.manual_seed(3)
    again = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    plain = F.scaled_dot_product_attention(q, k, v)
    assert not np.allclose(first.numpy(), plain.numpy())
    tt.manual_seed(3)
    _, weights = tt.attention.attention_with_weights(q, k, v, dropout_p=0.5)
    kept = weights.numpy()[weights.numpy() > 0]
    dropped_share = (weights.numpy() == 0).mean()
    assert 0.4 < dropped_share < 0.6 and kept.size  # about half the weights dropped, the others doubled
    assert_gradients_match_central_differences(
        lambda q, k, v: (tt.manual_seed(5), F.scaled_dot_product_attention(q, k, v, dropout_p=0.3))[1],
        [rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))])


def test_sdpa_errors_name_the_problem():
    q = tt.tensor(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((3, 3), bool), is_causal=True)
    with pytest.raises(ValueError, match=r"\(2, 3, 4\).*\(2, 3, 5\)"):
        F.scaled_dot_product_attention(q, tt.tensor(np.zeros((2, 3, 5))), q)
    with pytest.raises(ValueError, match="does not broadcast"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((4, 3), bool))
    with pytest.raises(ValueError, match="dropout_p"):
        F.scaled_dot_product_attention(q, q, q, dropout_p=1.5)
    with pytest.raises(TypeError, match="Tensor"):
        F.scaled_dot_product_attention(np.zeros((2, 3, 4)), q, q)
    with pytest.raises(ValueError, match="multiple of num_heads"):
        tt.nn.MultiheadAttention(6, 4)


def load_torch_mha(embed_dim: int, num_heads: int, bias: bool = True, batch_first: bool | None = True):
    """A PyTorch MultiheadAttention (float64) and a tinytorch one holding the same parameters, by their state dict
    (batch_first None: each library's default)."""
    torch.manual_seed(embed_dim * 10 + num_heads)
    layout = {} if batch_first is None else {"batch_first": batch_first}
    theirs = torch.nn.MultiheadAttention(embed_dim, num_heads, bias=bias, **layout).double()
    ours = tt.nn.MultiheadAttention(embed_dim, num_heads, bias=bias, dtype=tt.float64, **layout)
    result = ours.load_state_dict({name: tt.tensor(value.detach().numpy()) for name, value in theirs.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys
    return ours, theirs


@needs_torch
@pytest.mark.parametrize("num_heads", [1, 2, 4])
@pytest.mark.parametrize("masks", ["none", "padding", "bool", "float", "per-head", "causal", "both"])
@pytest.mark.parametrize("L,S", [(1, 1), (4, 6), (5, 5)])
def test_multihead_attention_matches_torch(num_heads, masks, L, S):
    ours, theirs = load_torch_mha(8, num_heads)
    n = 3
    query, memory = rng.standard_normal((n, L, 8)), rng.standard_normal((n, S, 8))
    kwargs = {}
    if masks in ("padding", "both"):
        padding = np.zeros((n, S), bool)
        padding[0, S // 2 + 1:] = True  # sequence 0 is shorter; none is fully padded (PyTorch's weights would be nan)
        kwargs["key_padding_mask"] = padding
    if masks in ("bool", "both"):
        forbidden = rng.random((L, S)) > 0.7
        forbidden[:, 0] = False
        kwargs["attn_mask"] = forbidden
    if masks == "float":
        kwargs["attn_mask"] = rng.standard_normal((L, S))
    if masks == "per-head":
        kwargs["attn_mask"] = rng.standard_normal((n * num_heads, L, S))
    if masks == "causal":
        kwargs["attn_mask"] = np.triu(np.ones((L, S), bool), 1)
        kwargs["is_causal"] = True
    q_ours, m_ours = tt.tensor(query, requires_grad=True), tt.tensor(memory, requires_grad=True)
    q_theirs, m_theirs = torch.tensor(query, requires_grad=True), torch.tensor(memory, requires_grad=True)
    out, weights = ours(q_ours, m_ours, m_ours, **kwargs)
    expected, expected_weights = theirs(q_theirs, m_theirs, m_theirs,
                                        **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()})
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weights.numpy(), expected_weights.detach().numpy(), rtol=1e-10, atol=1e-12)
    grad = rng.standard_normal(out.shape)
    out.backward(tt.tensor(grad))
    expected.backward(torch.tensor(grad))
    np.testing.assert_allclose(q_ours.grad.numpy(), q_theirs.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(m_ours.grad.numpy(), m_theirs.grad.numpy(), rtol=1e-9, atol=1e-12)
    for name, parameter in ours.named_parameters():
        reference = dict(theirs.named_parameters())[name]
        np.testing.assert_allclose(parameter.grad.numpy(), reference.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


@needs_torch
def test_multihead_attention_layouts_and_options_match_torch():
    ours, theirs = load_torch_mha(6, 3, bias=False, batch_first=None)  # the default layout, as PyTorch's
    assert ours.batch_first is theirs.batch_first is False
    x = rng.standard_normal((4, 2, 6))  # (L, N, E)
    out, weights = ours(tt.tensor(x), tt.tensor(x), tt.tensor(x), average_attn_weights=False)
    expected, expected_weights = theirs(*[torch.tensor(x)] * 3, average_attn_weights=False)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weights.numpy(), expected_weights.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert weights.shape == (2, 3, 4, 4)
    ours, theirs = load_torch_mha(4, 2)
    single = rng.standard_normal((5, 4))  # unbatched (L, E)
    out, weights = ours(*[tt.tensor(single)] * 3, need_weights=True)
    expected, expected_weights = theirs(*[torch.tensor(single)] * 3)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weights.numpy(), expected_weights.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert ours(*[tt.tensor(single)] * 3, need_weights=False)[1] is None


def test_multihead_attention_dropout_only_in_training():
    tt.manual_seed(0)
    layer = tt.nn.MultiheadAttention(8, 2, dropout=0.5, batch_first=True)
    x = tt.tensor(rng.standard_normal((2, 6, 8)).astype(np.float32))
    layer.eval()
    first, second = layer(x, x, x)[0].numpy(), layer(x, x, x)[0].numpy()
    np.testing.assert_array_equal(first, second)
    layer.train()
    assert not np.allclose(layer(x, x, x)[0].numpy(), first)
    assert layer(x, x, x)[0].dtype == tt.float32


class SelfAttention(tt.nn.Module):
    "count_flops calls a model with one input: self-attention of it (query = key = value)."

    def __init__(self, embed_dim: int, num_heads: int):
        self.attention = tt.nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)

    def forward(self, x):
        return self.attention(x, x, x, need_weights=False)[0]


def test_count_flops_counts_attention():
    "Module 19's count_flops sees attention through its FLOP rule: 2·B·L·S·(E + Ev) for the products plus 5 per score."
    tt.manual_seed(0)
    E, T, heads = 16, 12, 4
    layer = SelfAttention(E, heads)
    report = bm.count_flops(layer, tt.tensor(np.zeros((2, T, E), np.float32)))
    projections = 3 * (2 * 2 * T * E * E + 2 * T * E)  # the q, k, v thirds of in_proj, with their biases
    out_proj = 2 * 2 * T * E * E + 2 * T * E
    scores = 2 * heads * T * T
    attention = 2 * scores * (E // heads) * 2 + 5 * scores
    assert report.not_counted == [], report
    assert report.forward == projections + out_proj + attention, report


def test_profiler_names_attention_and_its_backward():
    q, k, v = (tt.tensor(rng.standard_normal((2, 4, 8)), requires_grad=True) for _ in range(3))
    with bm.Profiler() as profiler:
        F.scaled_dot_product_attention(q, k, v, is_causal=True).sum().backward()
    rows = {op.name: op for op in profiler.operations()}
    assert rows["scaled_dot_product_attention"].flops == 2 * 2 * 4 * 4 * 16 + 5 * 2 * 4 * 4, rows
    assert rows["scaled_dot_product_attentionBackward"].flops == 4 * 2 * 4 * 4 * 16 + 5 * 2 * 4 * 4, rows
