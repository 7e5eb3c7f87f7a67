"""Module 12's library, `tinytorch.embeddings`: `nn.Embedding` / `F.embedding` against PyTorch in float64 (values,
gradients, the weights `max_norm` leaves, the errors), sinusoidal encodings, RoPE against the direct rotation,
token windows and the bigram language model."""
from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.benchmarking as bm
import tinytorch.embeddings as emb
from tests.reference import assert_gradients_match_central_differences, needs_torch, torch

# (ids, num_embeddings, embedding_dim, keyword arguments): repeated ids, every id once, padding (also negative),
# max_norm, odd and even dimensions, ids of shape (), (N,) and (B, T)
CASES = [
    ([1, 2, 1, 1], 4, 3, {}),
    ([[0, 3, 3], [3, 1, 0]], 5, 4, {}),
    ([[0, 3, 3], [3, 1, 0]], 5, 4, {"padding_idx": 3}),
    ([[0, 3, 3], [3, 1, 4]], 5, 2, {"padding_idx": -1}),
    ([2, 0, 2, 5], 6, 5, {"max_norm": 1.0}),
    ([2, 0, 2, 5], 6, 6, {"max_norm": 0.5, "norm_type": 1.0, "padding_idx": 0}),
    (4, 7, 3, {}),
    ([[6] * 9], 7, 8, {}),
]


@needs_torch
@pytest.mark.parametrize("ids, rows, dim, kwargs", CASES)
def test_embedding_matches_torch(ids, rows, dim, kwargs):
    "Values, weight gradients and (with max_norm) the renormalised weights equal PyTorch's, in float64."
    rng = np.random.default_rng(rows * dim)
    table = rng.standard_normal((rows, dim)) * 2
    ids = np.array(ids)
    grad_output = rng.standard_normal(ids.shape + (dim,))
    weight = tt.nn.Parameter(table.copy())
    out = tt.nn.functional.embedding(tt.tensor(ids), weight, **kwargs)
    out.backward(tt.tensor(grad_output))
    reference = torch.tensor(table.copy(), requires_grad=True)
    expected = torch.nn.functional.embedding(torch.tensor(ids), reference, **kwargs)
    expected.backward(torch.tensor(grad_output))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12, atol=0)
    np.testing.assert_allclose(weight.grad.numpy(), reference.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(weight.data, reference.detach().numpy(), rtol=1e-12, atol=0)


@needs_torch
def test_module_matches_torch_module():
    "nn.Embedding: the padding row starts at zero, from_pretrained freezes, repr and state dict names."
    layer, reference = tt.nn.Embedding(10, 4, padding_idx=-2), torch.nn.Embedding(10, 4, padding_idx=-2)
    assert layer.padding_idx == reference.padding_idx == 8
    assert not layer.weight.data[8].any() and layer.weight.dtype == tt.float32
    assert list(layer.state_dict()) == list(reference.state_dict()) == ["weight"]
    assert repr(layer) == repr(reference) == "Embedding(10, 4, padding_idx=8)"
    frozen = tt.nn.Embedding.from_pretrained(np.eye(3))
    assert not frozen.weight.requires_grad and frozen.weight.dtype == tt.float64
    assert tt.nn.Embedding.from_pretrained(np.eye(3), freeze=False).weight.requires_grad


@needs_torch
@pytest.mark.parametrize("ids, error", [([0, 7], IndexError), ([-1, 2], IndexError), ([0.0, 1.0], TypeError)])
def test_bad_ids_raise_like_torch(ids, error):
    "Out-of-range and negative ids are an IndexError in both libraries (ours names the id); float ids a TypeError."
    ids = np.array(ids)
    with pytest.raises((IndexError, RuntimeError)):
        torch.nn.functional.embedding(torch.tensor(ids), torch.zeros(7, 2))
    with pytest.raises(error) as raised:
        tt.nn.functional.embedding(tt.tensor(ids), tt.zeros(7, 2))
    if error is IndexError:
        assert "index out of range in self" in str(raised.value) and str(ids[(ids < 0) | (ids >= 7)][0]) in str(raised.value)


def test_padding_idx_outside_the_table_is_refused():
    with pytest.raises(ValueError, match="within num_embeddings"):
        tt.nn.Embedding(4, 2, padding_idx=4)
    with pytest.raises(ValueError, match="within num_embeddings"):
        tt.nn.functional.embedding(tt.tensor([0]), tt.zeros(4, 2), padding_idx=-5)


@pytest.mark.parametrize("dim, dtype", [(1, np.float32), (6, np.float32), (7, np.float64), (8, np.float64), (4, np.float16)])
def test_backward_equals_a_loop_over_positions(dim, dtype):
    "The scatter-add (pairs as complex numbers when it can) equals adding each position's row in turn."
    rng = np.random.default_rng(dim)
    ids = rng.integers(0, 9, size=(4, 25))
    grad = rng.standard_normal((4, 25, dim)).astype(dtype)
    expected = np.zeros((9, dim))
    for position, row in zip(ids.reshape(-1), grad.reshape(-1, dim)):
        expected[position] += row
    got = emb.embedding_backward(grad, ids, 9)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, expected, rtol=1e-2 if dtype == np.float16 else 1e-5, atol=1e-2 if dtype == np.float16 else 1e-6)


def test_backward_of_a_non_contiguous_gradient():
    grad = np.arange(24.0).reshape(4, 6)[:, ::2]  # a strided view
    np.testing.assert_array_equal(emb.embedding_backward(grad, np.array([1, 1, 0, 1]), 2),
                                  [grad[2], grad[0] + grad[1] + grad[3]])


def test_embedding_gradient_matches_central_differences():
    ids = np.array([[2, 0, 2], [1, 2, 2]])
    assert_gradients_match_central_differences(lambda w: tt.nn.functional.embedding(ids, w),
                                               [np.random.default_rng(0).standard_normal((3, 4))])


def test_embedding_is_one_registered_op_profiled_and_counted():
    "The op registry gives module 19's tools the embedding: a FLOP rule and a named backward node."
    layer = tt.nn.Embedding(50, 8)
    out = layer(tt.tensor([[1, 2, 3]]))
    assert repr(out.grad_fn) == "<embeddingBackward>"
    report = bm.count_flops(tt.nn.Sequential(layer), tt.tensor([[1, 2, 3, 4]]))
    assert report.not_counted == [] and report.backward == 4 * 8


def test_sinusoidal_positions_formula():
    pe = emb.sinusoidal_positions(100, 12, base=500.0)
    p, i = np.meshgrid(np.arange(100), np.arange(6), indexing="ij")
    np.testing.assert_allclose(pe[:, 0::2], np.sin(p * 500.0 ** (-2 * i / 12)), atol=1e-6)
    np.testing.assert_allclose(pe[:, 1::2], np.cos(p * 500.0 ** (-2 * i / 12)), atol=1e-6)
    with pytest.raises(ValueError, match="even"):
        emb.sinusoidal_positions(3, 3)


def test_rope_equals_the_direct_rotation_and_keeps_relative_positions():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 6, 4))  # batch, heads, positions, dim
    angles = emb.rope_angles(6, 4)
    direct = np.empty_like(x)
    for t in range(6):
        c, s = np.cos(angles[t]), np.sin(angles[t])
        rotation = np.zeros((4, 4))
        for i in range(2):
            rotation[2 * i:2 * i + 2, 2 * i:2 * i + 2] = [[c[i], -s[i]], [s[i], c[i]]]
        direct[..., t, :] = x[..., t, :] @ rotation.T
    np.testing.assert_allclose(emb.rotary_embedding(tt.tensor(x)).numpy(), direct, rtol=1e-12, atol=1e-12)
    q, k = rng.standard_normal(4), rng.standard_normal(4)
    qs = emb.rotate_pairs(np.tile(q, (10, 1)), emb.rope_angles(10, 4))
    ks = emb.rotate_pairs(np.tile(k, (10, 1)), emb.rope_angles(10, 4))
    np.testing.assert_allclose([qs[m] @ ks[m - 3] for m in range(3, 10)], qs[3] @ ks[0])
    assert_gradients_match_central_differences(emb.rotary_embedding, [x[0]])


def test_token_windows_through_a_loader():
    windows = emb.TokenWindows(np.arange(50), block_size=7, stride=3)
    assert len(windows) == (50 - 7 - 1) // 3 + 1
    batches = list(tt.utils.data.DataLoader(windows, batch_size=5))
    inputs = np.concatenate([b[0].numpy() for b in batches])
    targets = np.concatenate([b[1].numpy() for b in batches])
    np.testing.assert_array_equal(inputs, [np.arange(k * 3, k * 3 + 7) for k in range(len(windows))])
    np.testing.assert_array_equal(targets, inputs + 1)
    with pytest.raises(ValueError, match="need 8 ids"):
        emb.TokenWindows(np.arange(7), 7)
    with pytest.raises(IndexError):
        windows.__getitems__([len(windows)])


def test_bigram_generation_is_seeded_and_uses_the_table():
    tt.manual_seed(0)
    model = emb.BigramLanguageModel(5)
    with tt.no_grad():
        model.next_logits.weight.data[:] = -50
        model.next_logits.weight.data[np.arange(5), (np.arange(5) + 1) % 5] = 50  # i is always followed by i + 1
    assert model.generate([3], 6, seed=1).tolist() == [3, 4, 0, 1, 2, 3, 4]
    tt.manual_seed(0)
    other = emb.BigramLanguageModel(5)
    assert np.array_equal(other.generate([0], 20, seed=7), other.generate([0], 20, seed=7))
    with pytest.raises(ValueError, match="temperature"):
        model.generate([0], 1, temperature=0)
