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
