"""Module 14's transformer: `F.layer_norm` and `nn.LayerNorm` against PyTorch 2.13 in float64 (values and gradients
over normalised shapes, with and without weight and bias), gradients against central differences, errors, and
module 19's profiler and FLOP count."""
from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.benchmarking as bm
from tests.reference import assert_gradients_match_central_differences, needs_torch, torch

F = tt.nn.functional
rng = np.random.default_rng(14)


@needs_torch
@pytest.mark.parametrize("shape,normalized", [((4, 8), (8,)), ((2, 3, 6), (6,)), ((2, 3, 4, 5), (4, 5)), ((5,), (5,)),
                                              ((2, 1, 7), (1, 7))])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm_matches_torch(shape, normalized, affine):
    x = rng.standard_normal(shape) * 3 + 1
    w = rng.standard_normal(normalized) if affine != "none" else None
    b = rng.standard_normal(normalized) if affine == "both" else None
    ours = [None if a is None else tt.tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [None if a is None else torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = F.layer_norm(ours[0], normalized, ours[1], ours[2], eps=1e-5)
    expected = torch.nn.functional.layer_norm(theirs[0], normalized, theirs[1], theirs[2], eps=1e-5)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg="values")
    grad = rng.standard_normal(shape)
    out.backward(tt.tensor(grad))
    expected.backward(torch.tensor(grad))
    for name, a, t in zip(("input", "weight", "bias"), ours, theirs):
        if a is not None:
            np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=f"grad of {name}")


@needs_torch
@pytest.mark.parametrize("kwargs", [{}, {"elementwise_affine": False}, {"bias": False}, {"eps": 1e-3}])
def test_layer_norm_module_matches_torch(kwargs):
    ours, theirs = tt.nn.LayerNorm((3, 4), dtype=tt.float64, **kwargs), torch.nn.LayerNorm((3, 4), dtype=torch.float64, **kwargs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)
    for name, p in theirs.named_parameters():
        p.data = torch.tensor(rng.standard_normal(tuple(p.shape)))
    ours.load_state_dict({name: tt.tensor(value.numpy()) for name, value in theirs.state_dict().items()})
    x = rng.standard_normal((2, 5, 3, 4))
    a, t = tt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(a), theirs(t)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    (out * out).sum().backward()
    (expected * expected).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-11)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=name)


def test_layer_norm_gradients_central_differences():
    x, w, b = rng.standard_normal((3, 4, 5)), rng.standard_normal(5), rng.standard_normal(5)
    assert_gradients_match_central_differences(lambda x, w, b: (F.layer_norm(x, 5, w, b) ** 2 * 0.5).sum(), [x, w, b])


def test_layer_norm_float32_and_defaults():
    norm = tt.nn.LayerNorm(6)
    assert norm.weight.dtype == tt.float32 and np.array_equal(norm.weight.numpy(), np.ones(6))
    assert np.array_equal(norm.bias.numpy(), np.zeros(6)) and norm.eps == 1e-5
    y = norm(tt.tensor(rng.standard_normal((2, 6)).astype(np.float32)))
    assert y.dtype == tt.float32
    assert tt.nn.LayerNorm(6, elementwise_affine=False).weight is None
    assert tt.nn.LayerNorm(6, bias=False).bias is None


def test_layer_norm_errors():
    with pytest.raises(ValueError, match="normalized_shape"):
        F.layer_norm(tt.tensor(np.zeros((2, 5))), (4,))
    with pytest.raises(ValueError, match="normalized_shape"):
        F.layer_norm(tt.tensor(np.zeros(3)), (2, 3))


def test_layer_norm_is_profiled_and_counted():
    norm = tt.nn.LayerNorm(16)
    x = tt.tensor(rng.standard_normal((4, 16)).astype(np.float32), requires_grad=True)
    with bm.Profiler() as profiler:
        norm(x).sum().backward()
    rows = {op.name: op for op in profiler.operations()}
    assert rows["layer_norm"].flops == 7 * 64 and rows["layer_normBackward"].flops == 11 * 64, rows
    report = bm.count_flops(norm, tt.tensor(np.zeros((4, 16), np.float32)))
    assert report.not_counted == [] and report.forward == 7 * 64, report


from tinytorch.transformer import GPT, Block, GPTConfig, causal_lm_loss, sample_next  # noqa: E402


def torch_block(ours: Block):
    "A PyTorch pre-norm block with the same parameter names, loaded with `ours`' weights (float64)."
    E, heads = ours.attn.embed_dim, ours.attn.num_heads

    class TorchBlock(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.ln_2 = torch.nn.LayerNorm(E, dtype=torch.float64), torch.nn.LayerNorm(E, dtype=torch.float64)
            self.attn = torch.nn.MultiheadAttention(E, heads, batch_first=True, dtype=torch.float64)
            self.mlp = torch.nn.Sequential(torch.nn.Linear(E, 4 * E, dtype=torch.float64),
                                           torch.nn.GELU(approximate=ours.mlp[1].approximate),
                                           torch.nn.Linear(4 * E, E, dtype=torch.float64), torch.nn.Dropout(0.0))

        def forward(self, x):
            T = x.shape[1]
            h = self.ln_1(x)
            mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
            x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
            return x + self.mlp(self.ln_2(x))

    theirs = TorchBlock()
    theirs.load_state_dict({name: torch.tensor(p.numpy()) for name, p in ours.named_parameters()})
    return theirs


@needs_torch
def test_block_matches_torch():
    tt.manual_seed(0)
    ours = Block(16, 4, dtype=tt.float64)
    for p in ours.parameters():  # not the initial ones (biases 0, norms 1): every parameter matters
        p.data[...] = rng.standard_normal(p.shape) * 0.3
    theirs = torch_block(ours)
    x = rng.standard_normal((2, 7, 16))
    a, t = tt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(a), theirs(t)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    grad = rng.standard_normal(out.shape)
    out.backward(tt.tensor(grad))
    expected.backward(torch.tensor(grad))
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-11)
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_params[name].grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=name)


def small_gpt(**kwargs) -> GPT:
    tt.manual_seed(0)
    config = dict(vocab_size=13, block_size=8, n_layer=2, n_head=2, n_embd=16)
    return GPT(GPTConfig(**{**config, **kwargs}), dtype=tt.float64)


def test_gpt_shapes_tying_and_parameter_count():
    model = small_gpt()
    ids = rng.integers(0, 13, (3, 8))
    assert model(ids).shape == (3, 8, 13)
    assert model.lm_head.weight is model.wte.weight
    names = [name for name, _ in model.named_parameters()]
    assert "lm_head.weight" not in names and "wte.weight" in names  # a shared parameter once
    E, L, V = 16, 2, 13
    per_block = 4 * E * E + 4 * E + 8 * E * E + 5 * E + 4 * E  # attention, MLP, two layer norms
    assert model.num_parameters() == L * per_block + V * E + 2 * E
    assert model.num_parameters(non_embedding=False) == model.num_parameters() + 8 * E
    untied = small_gpt(tie_weights=False)
    assert untied.num_parameters() == model.num_parameters() + V * E
    with pytest.raises(ValueError, match="block_size"):
        model(rng.integers(0, 13, (1, 9)))


def test_gpt_is_causal_and_trains():
    model = small_gpt()
    ids = rng.integers(0, 13, (2, 8))
    logits = model(ids).numpy()
    changed = ids.copy()
    changed[:, 5] = (changed[:, 5] + 1) % 13
    np.testing.assert_allclose(model(changed).numpy()[:, :5], logits[:, :5], rtol=0, atol=1e-12)
    loss = causal_lm_loss(model(ids), ids)
    assert abs(loss.item() - np.log(13)) < 0.2, loss.item()  # GPT-2's small initialisation: about uniform
    optimizer = tt.optim.AdamW(model.parameters(), lr=1e-2)
    pattern = np.tile(np.arange(8) % 13, (4, 1))
    for _ in range(60):
        optimizer.zero_grad()
        loss = causal_lm_loss(model(pattern), pattern)
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.1, loss.item()  # a fixed sequence is learnt


def test_gpt_gradients_central_differences():
    model = small_gpt(n_layer=1, n_embd=8, vocab_size=5, block_size=4)
    ids = rng.integers(0, 5, (2, 4))
    target = model.blocks[0].mlp[0].weight
    loss = causal_lm_loss(model(ids), ids)
    loss.backward()
    analytic = target.grad.numpy()[1, 2]
    target.data[1, 2] += 1e-6
    up = causal_lm_loss(model(ids), ids).item()
    target.data[1, 2] -= 2e-6
    down = causal_lm_loss(model(ids), ids).item()
    assert abs((up - down) / 2e-6 - analytic) < 1e-7


def test_generate_is_seeded_and_crops_the_context():
    model = small_gpt(block_size=4)
    start = np.array([[1, 2, 3]])
    a = model.generate(start, 10, generator=5).numpy()
    assert a.shape == (1, 13) and a.dtype == np.int64 and np.array_equal(a[:, :3], start)
    assert np.array_equal(model.generate(start, 10, generator=5).numpy(), a)
    assert np.array_equal(model.generate(start, 10, generator=tt.Generator(5)).numpy(), a)
    assert np.array_equal(model.generate(start, 10, generator=tt.MersenneTwister(5)).numpy(), a)
    assert model.generate(start, 10, generator=np.random.default_rng(5)).shape == (1, 13)  # any NumPy generator
    tt.manual_seed(3)
    b = model.generate(start, 10).numpy()
    tt.manual_seed(3)
    assert np.array_equal(model.generate(start, 10).numpy(), b)  # None: the manual_seed generator
    assert model.generate(np.array([4]), 3, generator=0).shape == (4,)
    assert model.training  # generate restores the mode it found
    with pytest.raises(ValueError, match="temperature"):
        model.generate(start, 1, temperature=0)
    with pytest.raises(ValueError, match="top_k"):
        model.generate(start, 1, top_k=0)


def test_sample_next_temperature_and_top_k():
    r = np.random.default_rng(0)
    logits = np.log(np.tile([0.5, 0.3, 0.15, 0.05], (40000, 1)))
    freq = np.bincount(sample_next(logits, 1.0, None, r), minlength=4) / 40000
    np.testing.assert_allclose(freq, [0.5, 0.3, 0.15, 0.05], atol=0.01)
    hot = np.bincount(sample_next(logits, 2.0, None, r), minlength=4) / 40000  # p ** (1/2), renormalised
    expected = np.sqrt([0.5, 0.3, 0.15, 0.05])
    np.testing.assert_allclose(hot, expected / expected.sum(), atol=0.01)
    top2 = np.bincount(sample_next(logits, 1.0, 2, r), minlength=4) / 40000
    np.testing.assert_allclose(top2, [0.625, 0.375, 0, 0], atol=0.01)
    assert np.array_equal(sample_next(logits[:5], 1.0, 1, r), np.zeros(5))  # top_k=1 is the argmax
    assert set(sample_next(logits, 1.0, 10, r).tolist()) == {0, 1, 2, 3}  # top_k >= V keeps everything
