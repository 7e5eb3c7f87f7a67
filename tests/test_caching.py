"""Module 16's library, `tinytorch.caching`: the KV cache (filled by position, views, its memory formula, misuse
refused), attention over the cache against 13's causal attention (and PyTorch's `scaled_dot_product_attention` for
one cached step), the cached forward against the full forward in float64, and `generate(use_cache=True)` drawing
exactly the ids of 14's generate for several configurations and seeds, past block_size too. Memoised tables."""
from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.caching as c
from tests.reference import needs_torch, torch
from tinytorch.transformer import GPT, GPTConfig


def gpt(seed: int = 0, dtype=None, **sizes) -> GPT:
    "A small GPT with GPT-2's initialisation from `seed`."
    tt.manual_seed(seed)
    config = dict(vocab_size=17, block_size=12, n_layer=2, n_head=2, n_embd=16)
    config.update(sizes)
    return GPT(GPTConfig(**config), dtype=dtype)


def test_cache_fills_by_position_and_returns_views():
    cache = c.KVCache(2, 1, 2, 4, 6)
    ones = np.ones((1, 2, 3, 4), np.float32)
    cache.update(1, ones, 2 * ones)
    keys, values = cache.update(1, 3 * ones[:, :, :1], 4 * ones[:, :, :1])
    assert keys[0, 0, :, 0].tolist() == [1, 1, 1, 3] and values[0, 0, :, 0].tolist() == [2, 2, 2, 4]
    assert np.shares_memory(keys, cache.keys) and np.shares_memory(values, cache.values)
    assert cache.lengths == [0, 4] and cache.get_seq_length(1) == 4
    cache.reset()
    assert cache.lengths == [0, 0]


def test_cache_memory_formula_and_nbytes():
    model = gpt(n_layer=3, n_head=4, n_embd=32, block_size=20)
    cache = c.KVCache.for_model(model, batch_size=2)
    assert cache.nbytes == c.cache_nbytes(3, 4, 20, 8, itemsize=4, batch_size=2) == 2 * 3 * 2 * 4 * 20 * 8 * 4
    assert cache.keys.dtype == np.float32
    assert c.KVCache.for_model(gpt(dtype=tt.float64)).keys.dtype == np.float64


def test_cache_misuse_is_refused():
    with pytest.raises(ValueError, match="positive"):
        c.KVCache(0, 1, 1, 1, 1)
    cache = c.KVCache(1, 1, 1, 2, 3)
    cache.update(0, np.zeros((1, 1, 3, 2)), np.zeros((1, 1, 3, 2)))
    with pytest.raises(ValueError, match="do not fit"):
        cache.update(0, np.zeros((1, 1, 1, 2)), np.zeros((1, 1, 1, 2)))
    model = gpt()
    cache = c.KVCache.for_model(model)
    with pytest.raises(ValueError, match="block_size"):
        c.forward_cached(model, np.zeros((1, 13), np.int64), cache)


@pytest.mark.parametrize("new", [1, 2, 5])
def test_cached_attention_equals_causal_attention(new):
    rng = np.random.default_rng(new)
    q, k, v = (rng.standard_normal((2, 3, 7, 4)) for _ in range(3))
    full = tt.scaled_dot_product_attention(tt.tensor(q, dtype=tt.float64), tt.tensor(k, dtype=tt.float64),
                                           tt.tensor(v, dtype=tt.float64), is_causal=True).data
    np.testing.assert_allclose(c.cached_attention(q[:, :, -new:], k, v), full[:, :, -new:], rtol=1e-12, atol=1e-14)


def test_causal_mask_is_memoised_read_only_and_bottom_right():
    assert c.causal_mask(2, 4) is c.causal_mask(2, 4)
    assert np.isinf(c.causal_mask(2, 4)).tolist() == [[False, False, False, True], [False, False, False, False]]
    with pytest.raises(ValueError):
        c.causal_mask(2, 4)[0, 0] = 1
    table = c.sinusoidal_table(8, 4)
    assert table is c.sinusoidal_table(8, 4) and not table.flags.writeable
    np.testing.assert_array_equal(table, tt.sinusoidal_positions(8, 4))


def test_forward_cached_equals_the_full_forward_in_float64():
    model = gpt(seed=3, dtype=tt.float64)
    ids = np.random.default_rng(0).integers(0, 17, (2, 12))
    expected = model(ids).data
    cache = c.KVCache.for_model(model, batch_size=2)
    parts = [c.forward_cached(model, ids[:, :4], cache).data]
    parts += [c.forward_cached(model, ids[:, t:t + 2], cache).data for t in (4, 6)]
    parts += [c.forward_cached(model, ids[:, t:t + 1], cache).data for t in range(8, 12)]
    np.testing.assert_allclose(np.concatenate(parts, axis=1), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("sizes, prompt, new, seed, kwargs", [
    (dict(), (1, 3), 8, 0, {}),
    (dict(), (2, 5), 20, 1, {"temperature": 0.8, "top_k": 5}),  # past block_size 12: the cache is refilled
    (dict(n_layer=1, n_head=4, n_embd=8, block_size=6), (3, 9), 7, 2, {}),  # a prompt longer than block_size
    (dict(n_layer=3, n_head=1, n_embd=12, block_size=32, bias=False, tie_weights=False), (1, 1), 25, 3, {"temperature": 1.5}),
])
def test_generate_with_the_cache_draws_the_same_ids(sizes, prompt, new, seed, kwargs):
    model = gpt(seed, **sizes)
    ids = np.random.default_rng(seed).integers(0, 17, prompt)
    plain = model.generate(ids, new, generator=seed, **kwargs).numpy()
    cached = model.generate(ids, new, generator=seed, use_cache=True, **kwargs).numpy()
    np.testing.assert_array_equal(cached, plain)
    assert cached.shape == (prompt[0], prompt[1] + new)


def test_generate_with_the_cache_in_float64_and_1d_ids():
    model = gpt(seed=4, dtype=tt.float64)
    ids = np.array([2, 7, 1])
    plain = model.generate(ids, 15, generator=9).numpy()
    cached = model.generate(ids, 15, generator=9, use_cache=True)
    assert cached.ndim == 1 and cached.numpy().tolist() == plain.tolist()


def test_generate_cached_restores_training_mode_and_checks_arguments():
    model = gpt(dropout=0.2)
    model.train()
    model.generate(np.array([[1]]), 3, use_cache=True)
    assert model.training
    with pytest.raises(ValueError, match="temperature"):
        model.generate(np.array([[1]]), 3, temperature=0, use_cache=True)
    with pytest.raises(ValueError, match="at least one id"):
        model.generate(np.zeros((1, 0), np.int64), 3, use_cache=True)


@needs_torch
def test_one_cached_step_against_pytorch():
    rng = np.random.default_rng(5)
    q, k, v = (rng.standard_normal(shape).astype(np.float32) for shape in ((1, 4, 1, 8), (1, 4, 10, 8), (1, 4, 10, 8)))
    theirs = torch.nn.functional.scaled_dot_product_attention(*(torch.from_numpy(x) for x in (q, k, v))).numpy()
    np.testing.assert_allclose(c.cached_attention(q, k, v), theirs, rtol=1e-5, atol=1e-6)
    q3 = rng.standard_normal((1, 4, 3, 8)).astype(np.float32)
    bottom_right = torch.from_numpy(~np.isinf(c.causal_mask(3, 10)))
    theirs = torch.nn.functional.scaled_dot_product_attention(torch.from_numpy(q3), torch.from_numpy(k), torch.from_numpy(v),
                                                              attn_mask=bottom_right).numpy()
    np.testing.assert_allclose(c.cached_attention(q3, k, v), theirs, rtol=1e-5, atol=1e-6)
