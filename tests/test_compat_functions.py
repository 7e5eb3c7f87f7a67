"""PyTorch fidelity of the tensor functions of issue 13's second part (module 02's values, module 07's
gradients): each case runs the same code with `lib = tinytorch` and `lib = torch` in float64 and
compares the results and the gradients of every input (rtol 1e-12)."""
from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
from tests.reference import needs_torch, torch
from tests.test_compat import assert_same, f64

pytestmark = needs_torch

A = np.array([[0.3, -1.2, 2.0, 0.7], [1.5, 0.1, -0.4, 2.2], [-0.9, 0.6, 1.1, -1.7]])
B = np.array([[1.0, -0.5, 0.25], [2.0, 0.75, -1.5], [0.5, 1.25, -0.3], [-2.0, 0.4, 1.6]])


def with_grads(body):
    "A case: a (3, 4) and b (4, 3), float64 leaves → body(lib, a, b) → a tensor: its values, a.grad, b.grad."
    def case(lib):
        a, b = f64(lib, A).requires_grad_(), f64(lib, B).requires_grad_()
        out = body(lib, a, b)
        weights = f64(lib, np.linspace(-1, 1, int(np.prod(out.shape))).reshape(tuple(out.shape)))
        (out * weights).sum().backward()  # unequal weights: a gradient sent to the wrong element shows
        return [out, zero_if_none(lib, a), zero_if_none(lib, b)]
    case.__name__ = body.__name__
    return case


def zero_if_none(lib, t):
    return t.grad if t.grad is not None else lib.zeros(*t.shape, dtype=lib.float64)


def index(lib, values):
    return lib.tensor(np.asarray(values, dtype=np.int64))


DIFFERENTIABLE = {
    "cat_dim0": lambda lib, a, b: lib.cat([a, b.t()], 0),
    "cat_dim1": lambda lib, a, b: lib.cat([a, a * 2, b.T], dim=1),
    "stack": lambda lib, a, b: lib.stack([a, b.T], dim=1),
    "stack_last": lambda lib, a, b: lib.stack((a, b.t()), -1),
    "split_sizes": lambda lib, a, b: a.split([1, 3], dim=1)[1] * 2 + lib.split(a, 2)[1].sum(),
    "split_int": lambda lib, a, b: lib.cat(a.split(3, dim=1), 1),
    "chunk": lambda lib, a, b: a.chunk(2, 1)[1].sum() * lib.chunk(a, 3)[2],
    "flatten": lambda lib, a, b: lib.flatten(a.reshape(3, 2, 2), 1) + a.reshape(3, 2, 2).flatten(0, 1).reshape(3, 4),
    "t": lambda lib, a, b: a.t() * b,
    "expand": lambda lib, a, b: a[:, :1].expand(3, 4) * a + a[0].expand(2, 3, 4).sum(0),
    "expand_minus_one": lambda lib, a, b: a.unsqueeze(0).expand(2, -1, -1) * 3,
    "repeat": lambda lib, a, b: a.repeat(2, 3) + 0,
    "repeat_new_dim": lambda lib, a, b: a[0].repeat(2, 1, 2),
    "repeat_interleave_dim": lambda lib, a, b: a.repeat_interleave(2, dim=1),
    "repeat_interleave_flat": lambda lib, a, b: lib.repeat_interleave(a, 2),
    "repeat_interleave_counts": lambda lib, a, b: a.repeat_interleave(index(lib, [1, 0, 2]), dim=0),
    "where": lambda lib, a, b: lib.where(a > 0.5, a, b.T),
    "where_scalar": lambda lib, a, b: lib.where(a > 0, a * 2, 0.0),
    "where_method": lambda lib, a, b: a.where(a < 1, b.T),
    "where_broadcast": lambda lib, a, b: lib.where(a[:, :1] > 0, a[0], b.T),
    "masked_fill": lambda lib, a, b: a.masked_fill(a < 0, -9.0),
    "masked_fill_broadcast": lambda lib, a, b: lib.masked_fill(a, lib.tensor([True, False, False, True]), 0.5),
    "gather": lambda lib, a, b: a.gather(1, index(lib, [[0, 0, 3], [2, 1, 1], [3, 3, 3]])),
    "gather_dim0": lambda lib, a, b: lib.gather(a, 0, index(lib, [[2, 0, 1, 1], [0, 0, 2, 1]])),
    "scatter_add": lambda lib, a, b: a.scatter_add(1, index(lib, [[0, 0], [3, 1], [2, 2]]), b.T[:, :2] * 1),
    "scatter_add_dim0": lambda lib, a, b: lib.scatter_add(a, 0, index(lib, [[2, 0, 2, 1]]), b.T[1:2] * 1),
    "topk": lambda lib, a, b: a.topk(2).values,
    "topk_smallest_dim0": lambda lib, a, b: lib.topk(a, 2, dim=0, largest=False)[0],
    "sort": lambda lib, a, b: a.sort(dim=1).values,
    "sort_descending": lambda lib, a, b: lib.sort(a, 0, descending=True)[0],
    "std": lambda lib, a, b: a.std(),
    "std_dim": lambda lib, a, b: a.std(dim=1),
    "std_biased_keepdim": lambda lib, a, b: a.std(0, unbiased=False, keepdim=True),
    "var": lambda lib, a, b: lib.var(a, 1),
    "var_correction": lambda lib, a, b: a.var(dim=0, correction=0),
    "var_tuple_dims": lambda lib, a, b: a.reshape(3, 2, 2).var(dim=(0, 2)),
    "pow_function": lambda lib, a, b: lib.pow(a, 2) + lib.pow(a.abs(), b.T),
    "abs": lambda lib, a, b: lib.abs(a),
    "sum_function": lambda lib, a, b: lib.sum(a, 1) * lib.sum(a),
    "mean_function": lambda lib, a, b: lib.mean(a, dim=0, keepdim=True) * a,
    "max_function": lambda lib, a, b: lib.max(a) + lib.max(a, 1).values.sum(),
    "min": lambda lib, a, b: a.min() + a.min(1).values.sum() * a.min(0, keepdim=True).values,
    "min_function_ties": lambda lib, a, b: lib.min(a.clamp(max=0)) + lib.min(a.clamp(-1, 1), dim=0).values.sum(),
    "neg_square": lambda lib, a, b: a.neg() * lib.square(a) + lib.neg(a.square()),
    "expand_as_view_as": lambda lib, a, b: a[:, :1].expand_as(a) * b.view_as(a),
    "clamp_function": lambda lib, a, b: lib.clamp(a, -1, 1),
    "bmm": lambda lib, a, b: lib.bmm(a.reshape(1, 3, 4).expand(2, 3, 4), b.reshape(1, 4, 3).repeat(2, 1, 1)),
    "einsum_matmul": lambda lib, a, b: lib.einsum("ij,jk->ik", a, b),
    "einsum_implicit": lambda lib, a, b: lib.einsum("ij,jk", a, b),
    "einsum_sum_only_one": lambda lib, a, b: lib.einsum("ij->i", a),
    "einsum_outer_list": lambda lib, a, b: lib.einsum("i,j->ij", [a[0], b[:, 1]]),
    "einsum_batch": lambda lib, a, b: lib.einsum("bij,bjk->bik", a.reshape(1, 3, 4), b.reshape(1, 4, 3)),
    "einsum_three": lambda lib, a, b: lib.einsum("ij,jk,k->i", a, b, a[:, 0]),
    "triu": lambda lib, a, b: a.triu(),
    "flip": lambda lib, a, b: a.flip(0) * lib.flip(a, [0, -1]) + a.flip((1,)),
    "cumsum": lambda lib, a, b: a.cumsum(1) + lib.cumsum(a, dim=0) * a.cumsum(-1),
    "norm_2": lambda lib, a, b: a.norm() + a.norm(dim=1, keepdim=True) * lib.norm(b.t(), 2, 0),
    "norm_fro_two_dims_and_zero_rows": lambda lib, a, b: a.norm(dim=(0, 1)) + (a * (a > 0.5)).norm(p="fro", dim=0),
    "norm_1": lambda lib, a, b: a.norm(1) * a.norm(p=1, dim=-1, keepdim=True),
    "maximum_minimum_broadcast_and_ties": lambda lib, a, b: (
        lib.maximum(a, b.t()[:1]) * a.minimum(a.clamp(-1, 1)) + lib.minimum(a.clamp(max=0.7), a.clamp(min=0.7))),
    "mm_dot_outer": lambda lib, a, b: a.mm(b) + lib.mm(a, b) * a[0].dot(b[:, 0]) + lib.outer(a[:, 1], b[2]),
    "roll": lambda lib, a, b: a.roll(1, 1) + lib.roll(a, (1, -1), (0, 1)) * a.roll(2),
    "prod_with_zeros": lambda lib, a, b: (a * (a.abs() > 0.5)).prod(1)[:, None] * lib.prod(a.clamp(min=0), 0, keepdim=True) + a.prod(),
    "log1p_reciprocal_rsqrt": lambda lib, a, b: a.abs().log1p() + lib.log1p(a.square()) * (a + 3).reciprocal() + (a.abs() + 1).rsqrt(),
    "piecewise_constant_have_zero_gradients": lambda lib, a, b: (a.sign() + a.round() + lib.floor(a) * a.ceil() + a.round(decimals=1)) * a,
    "logsumexp": lambda lib, a, b: a.logsumexp(1) + lib.logsumexp(a, (0, 1)) * a.logsumexp(0, keepdim=True).sum(),
    "narrow_diag": lambda lib, a, b: a.narrow(1, 1, 2).sum(1) * a.narrow(0, -1, 1).sum() + a.diag() + lib.diag(a, 1)[:3] + a[0].diag(-1)[1:4, 0],
    "remainder": lambda lib, a, b: a % b.t() + (a % 0.7) * lib.remainder(a, b.t().flip(0)) + a.remainder(-1.5),
    "remainder_in_place": lambda lib, a, b: _in_place_remainder(a * 1, b),
    "unbind": lambda lib, a, b: lib.stack([r * i for i, r in enumerate(a.unbind(1))] + list(lib.unbind(b, 0))[:1]),
    "tril_offset": lambda lib, a, b: lib.tril(a, -1) + lib.triu(a, 2),
    "cumprod_with_zeros": lambda lib, a, b: (a * (a.abs() > 0.5)).cumprod(1) + lib.cumprod(a, dim=0) * a.cumprod(-1),
    "amax_amin_with_ties": lambda lib, a, b: (
        a.clamp(-1, 1).amax(1, keepdim=True) * lib.amin(a.clamp(-1, 1), 0) + a.amax() + a.clamp(max=0.5).amin((0, 1))),
    "trunc_clip": lambda lib, a, b: (a.trunc() + lib.trunc(a * 3)) * a + a.clip(-1, 1) + lib.clip(a, min=0),
    "index_select": lambda lib, a, b: a.index_select(1, index(lib, [3, 0, 3])) * lib.index_select(a, 0, index(lib, [2, 0, 1]))[:, :3],
    "masked_select": lambda lib, a, b: a.masked_select(a > 0).sum() * lib.masked_select(a, lib.tensor([True, False, False, True])),
    "take": lambda lib, a, b: a.take(index(lib, [[0, 11], [5, 5]])) + lib.take(b, index(lib, [1, 2])),
    "tile": lambda lib, a, b: a.tile((2,)) + 0 * a.sum() + lib.tile(a[0], (2, 1, 2)).sum(),
    "movedim": lambda lib, a, b: a.reshape(3, 2, 2).movedim(0, -1) * lib.movedim(a.reshape(3, 2, 2), (0, 1), (2, 0)),
    "index_add": lambda lib, a, b: a.index_add(0, index(lib, [2, 0, 2, 1]), lib.cat([b, b[:, :1]], 1), alpha=2) + lib.index_add(a, 1, index(lib, [3, 3, 0]), b.t()[:, :3]),
    "index_add_in_place": lambda lib, a, b: (a * 1).index_add_(1, index(lib, [1, 1, 2]), b.t()[:, :3] * 1, alpha=-1),
    "max_min_pow_of_two_tensors": lambda lib, a, b: (
        lib.max(a, b.t()) + lib.min(a, a.clamp(-1, 1)) * lib.pow(2.0, a) + lib.pow(a, 2) + lib.max(a, dim=1).values[:, None]),
    "squeeze_dims": lambda lib, a, b: a.reshape(1, 3, 1, 4).squeeze((0, 2)) * 2 + a.reshape(3, 1, 4).squeeze((1, 0)),
    "std_mean_var_mean": lambda lib, a, b: lib.std_mean(a, 1)[0] * lib.std_mean(a, dim=1, keepdim=False)[1] + lib.var_mean(a, 0, correction=0)[0].sum(),
}


def _in_place_remainder(t, b):
    t %= b.t()
    return t


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
def test_values_and_gradients_equal_pytorch(name):
    assert_same(with_grads(DIFFERENTIABLE[name]))


def _indices(lib):
    x = f64(lib, A)
    return [x.topk(2).indices, lib.topk(x, 1, dim=0, largest=False).indices, x.sort(1).indices,
            lib.sort(x, 0, descending=True)[1], lib.argmax(x, 1), x.argmax(), x.min(1).indices,
            lib.min(x.clamp(max=0), 0, keepdim=True).indices, x.argsort(), lib.argsort(x, 0, descending=True),
            x.clamp(max=0).argsort(dim=1, stable=True)]


def _comparisons(lib):
    x = f64(lib, A)
    y = x + 1e-9
    return [x.equal(x.clone()), lib.equal(x, y), x.equal(x[:2]), lib.allclose(x, y), x.allclose(y, rtol=0, atol=1e-12),
            lib.isclose(x, y, rtol=0, atol=1e-10), x.isclose(x + 1)]


def _integers(lib):
    x = lib.arange(12).reshape(3, 4)
    return [lib.cat([x, x]), lib.stack([x[0], x[1]]), x.triu(1), x.tril(), x.repeat(1, 2), x.flatten(),
            lib.where(x > 5, x, -x), x.masked_fill(x == 3, 0), x.t(), lib.t(x[0]), lib.sort(-x, 0).values,
            x.min(), x.min(0).values, x.square(), (x > 4).min(), (x > 4).min(1).values, x.cumsum(1), (x > 4).cumsum(0),
            x.int().cumsum(0), lib.tensor(2.5).cumsum(0), x.flip(1), lib.maximum(x, 5 - x), x.minimum(x.flip(1)[:1]),
            x.mm(x.t()), x[0].dot(x[1]), x[0].outer(x[1]), x.new_zeros(2, 3), x.new_zeros((2,), dtype=lib.float64),
            x.type_as(x.double()), x.argsort(descending=True), x.roll(1), (x * (x < 5)).nonzero(), lib.nonzero(x > 8), (x + 1).prod(1),
            x.prod(), (x > 0).prod(), x.to(lib.int32).prod(0), x.sign(), (-x).sign(), (x > 4).sign(), x.round(), x.floor(), lib.ceil(x),
            lib.round(x), x.float().isnan(), lib.isinf(lib.where(x > 5, float("inf"), 0.0)), x.isfinite(), x.narrow(0, 1, 2), x.diag(), x[0].diag(2),
            lib.as_tensor([1, 2]), lib.as_tensor(x, dtype=lib.int32), (x - 5) // 3, (x - 5) % 3, x // -4, x % -4, 100 // (x + 1),
            -7 % (x + 1), lib.floor_divide(x, 2), x.remainder(5), (x.double() - 5.5) // 2, (x.double() - 5.5) % 2, (x > 3) // 1,
            (x % 4 + 1).cumprod(1), (x > 2).cumprod(0), x.int().cumprod(1), x.amax(0), lib.amin(x, (0, 1)), (x > 3).amax(1),
            x.trunc(), x.clip(2, 5), x.count_nonzero(), lib.count_nonzero(x % 3, dim=1), lib.count_nonzero(x > 4, (0, 1)),
            *lib.unique(x % 5, return_inverse=True, return_counts=True), lib.unique(x % 3), (x % 2).unique(dim=1),
            *lib.unique(lib.cat([x, x[:1]]), dim=0, return_inverse=True), x.index_select(0, index(lib, [2, 2])),
            x.masked_select(x > 6), x.take(index(lib, [3, 1])), x.tile((2, 1)), lib.tile(x, (2,)), x[0].tile(2, 2), x.tile(3), x.movedim(1, 0),
            lib.index_add(x, 0, index(lib, [0, 0]), x[:2]), x.clone().index_add_(1, index(lib, [0]), x[:, :1], alpha=3),
            x.all(1), (x > 5).all(dim=0), lib.all(x > -1), lib.all(x > 2, 1, keepdim=True), (x > 5).any(), x.any((0, 1)),
            lib.any(x > 10, dim=0), *(x > 8).nonzero(as_tuple=True), *lib.nonzero(x[0], as_tuple=True),
            *lib.tensor(5).nonzero(as_tuple=True), *lib.where(x % 5 == 0), x[lib.where(x > 6)], lib.max(x, x.flip(0)),
            lib.min(x, lib.tensor(4)), lib.pow(2, x), lib.pow(x, 2), x[None, :, None].squeeze((0, 2)), x[:, None].squeeze((0, 1))]


@pytest.mark.parametrize("case", [_indices, _comparisons, _integers])
def test_indices_comparisons_and_integer_values_equal_pytorch(case):
    ours, theirs = case(tt), case(torch)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        a = a.numpy() if hasattr(a, "numpy") else a
        b = b.numpy() if hasattr(b, "numpy") else b
        assert np.array_equal(a, b) and np.asarray(a).dtype == np.asarray(b).dtype, f"result {i}: {a!r} vs {b!r}"


def test_random_functions_have_pytorchs_shapes_dtypes_and_ranges():
    tt.manual_seed(0)
    ints = tt.randint(3, 7, (1000,))
    assert ints.dtype == tt.int64 and ints.shape == (1000,) and set(ints.tolist()) == {3, 4, 5, 6}
    assert tt.randint(5, (2, 3)).shape == (2, 3)
    assert sorted(tt.randperm(10).tolist()) == list(range(10)) and tt.randperm(4).dtype == tt.int64
    like = tt.randn_like(tt.zeros(400, 50, dtype=tt.float64))
    assert like.dtype == tt.float64 and like.shape == (400, 50) and abs(like.data.std() - 1) < 0.02
    assert tt.rand_like(tt.zeros(3)).dtype == tt.float32
    tt.manual_seed(1)
    first = tt.randperm(8).tolist()
    tt.manual_seed(1)
    assert tt.randperm(8).tolist() == first


def test_builtin_names_exist_but_are_not_star_imported():
    namespace: dict = {}
    exec("from tinytorch import *", namespace)
    for name in ("sum", "max", "min", "abs", "pow", "round", "t", "all", "any", "float", "int", "bool"):
        assert hasattr(tt, name), f"tt.{name} is missing"
        assert name not in namespace, f"`from tinytorch import *` hides Python's builtin {name}"
    assert tt.float == tt.float32 and tt.int == tt.int32 and tt.bool == tt.bool_ and tt.long == tt.int64  # as torch.int
    assert "cat" in namespace and "where" in namespace


def test_errors_are_clear():
    x = tt.arange(6.0).reshape(2, 3)
    for call, text in [(lambda: tt.cat([x, x.T]), "differ in another dimension"),
                       (lambda: tt.stack([x, x.T]), "one shape"),
                       (lambda: x.expand(4, 3), "only dimensions of size 1"),
                       (lambda: x.split([1, 1], dim=1), "add up to 2"),
                       (lambda: x.gather(1, tt.tensor([0, 1])), "dimensions"),
                       (lambda: x.masked_fill(x, 0), "bool mask"),
                       (lambda: tt.where(x, x, x), "bool condition"),
                       (lambda: x.bmm(x), "3-d"),
                       (lambda: x.reshape(1, 2, 3).t(), "at most 2 dimensions"),
                       (lambda: x.topk(4), "out of range")]:
        with pytest.raises((ValueError, TypeError)) as info:
            call()
        assert text in str(info.value), f"{info.value!r} does not say '{text}'"
    y = tt.tensor([[1.0, 2.0]], requires_grad=True)
    with pytest.raises(NotImplementedError, match="diagonal"):
        tt.einsum("ii->i", y.expand(2, 2))


def test_expand_is_a_read_only_view():
    x = tt.tensor([[1.0], [2.0]])
    e = x.expand(2, 3)
    assert np.shares_memory(e.data, x.data)
    with pytest.raises(RuntimeError, match="read-only"):
        e[0, 0] = 5


@pytest.mark.parametrize("values", [[[0.5, 1.25], [3.0, 4.0]], [1.0, 2.0], [1e-5, 1.0], [float("nan"), 1.5],
                                    [-0.5, 100.25], [1e9, 1.0], [0.0, 0.0], [123456.5, 0.1], list(range(30))])
def test_repr_is_pytorchs_but_for_the_package_name(values):
    for dtype in ("float32", "float64", "int64"):
        if dtype == "int64" and any(v != v or v != int(v) for v in np.ravel(values)):
            continue
        ours = tt.tensor(np.array(values, dtype=dtype), dtype=getattr(tt, dtype))
        theirs = torch.tensor(np.array(values, dtype=dtype))
        assert repr(ours) == repr(theirs).replace("torch.", "tinytorch."), (repr(ours), repr(theirs))
    a, b = tt.tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0], requires_grad=True)
    assert (repr(a), repr(a * 2), repr(a + 1)) == (repr(b), repr(b * 2), repr(b + 1))


@pytest.mark.parametrize("values", [[True], [False], [True, False], [[True], [True]], True, [[False, True], [True, True]]])
def test_bool_repr_is_pytorchs(values):
    assert repr(tt.tensor(values)) == repr(torch.tensor(values)), (repr(tt.tensor(values)), repr(torch.tensor(values)))


def test_shape_is_a_size():
    x = tt.zeros(2, 3)
    assert isinstance(x.shape, tt.Size) and isinstance(x.shape, tuple) and isinstance(x.size(), tt.Size)
    assert x.shape == (2, 3) and x.size() == torch.zeros(2, 3).size() and x.shape.numel() == 6
    assert repr(x.shape) == "tinytorch.Size([2, 3])" and str(x.shape) == "(2, 3)"


GELU_POINTS = np.concatenate([np.linspace(-10, 10, 2001), [-1e4, -40.0, -1e-9, 0.0, 1e-9, 40.0, 1e4]])


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gelu_values_and_gradients_equal_pytorch(approximate, dtype):
    "F.gelu and nn.GELU: PyTorch's default is the exact erf form; both forms, values and gradients."
    # 1 + erf(x/√2) and 1 + tanh(u) cancel for x < -3: there |x| times a rounding error of 1 remains, whatever the
    # order of operations (float32: 6e-8 per unit of x, times x² in the tanh form's gradient; float64: 1e-14 there)
    atol = {("float64", "none"): 1e-15, ("float64", "tanh"): 1e-13, ("float32", "none"): 1e-6, ("float32", "tanh"): 1e-5}
    rtol, atol = (1e-14 if dtype == "float64" else 2e-6), atol[dtype, approximate]
    weights = np.random.default_rng(0).standard_normal(GELU_POINTS.shape)
    results = []
    for lib in (tt, torch):
        x = lib.tensor(GELU_POINTS.astype(dtype), requires_grad=True)
        module = lib.nn.GELU() if approximate == "none" else lib.nn.GELU(approximate="tanh")
        out = module(x)
        same = lib.nn.functional.gelu(x, approximate=approximate).detach().numpy()
        assert np.array_equal(out.detach().numpy(), same, equal_nan=True)
        (out * lib.tensor(weights.astype(dtype))).sum().backward()
        results.append((out.detach().numpy(), x.grad.numpy()))
    (ours, our_grad), (theirs, their_grad) = results
    assert ours.dtype == theirs.dtype == np.dtype(dtype)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)
    np.testing.assert_allclose(our_grad, their_grad, rtol=rtol, atol=atol)


def test_gelu_rejects_an_unknown_approximation_like_pytorch():
    for lib in (tt, torch):
        with pytest.raises((ValueError, RuntimeError)):
            lib.nn.functional.gelu(lib.tensor([1.0]), approximate="sigmoid")


def test_erf_is_accurate_to_float64_rounding():
    "Module 03's _erf against PyTorch's erf (float64) within 2 units in the last place, and its special values."
    from tinytorch.activations import _erf
    x = np.concatenate([np.linspace(-7, 7, 140001), np.geomspace(1e-300, 7, 3000), -np.geomspace(1e-300, 7, 3000)])
    exact = torch.erf(torch.tensor(x)).numpy()
    ulps = np.abs(_erf(x) - exact) / np.spacing(np.maximum(np.abs(exact), np.finfo(np.float64).tiny))
    assert ulps.max() <= 2, f"_erf is {ulps.max():.0f} ulps from torch.erf at x = {x[ulps.argmax()]!r}"
    x32 = x.astype(np.float32)
    got32 = _erf(x32)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, torch.erf(torch.tensor(x32)).numpy(), rtol=4e-7, atol=1e-37)
    special = _erf(np.array([np.inf, -np.inf, np.nan, -0.0, 0.0]))
    assert special[:2].tolist() == [1, -1] and np.isnan(special[2]) and np.signbit(special[3]) and not np.signbit(special[4])
    assert _erf(np.array(0.5)).shape == () and _erf(np.ones((2, 0, 3))).shape == (2, 0, 3)


def test_erf_coefficients_are_reproducible():
    "The Chebyshev coefficients of module 03's _erf, recomputed in 40-digit arithmetic (mpmath comes with PyTorch)."
    mpmath = pytest.importorskip("mpmath")
    from tinytorch import activations as A
    mpmath.mp.dps = 40

    def chebyshev(f, n, low, high):
        low, high = mpmath.mpf(low), mpmath.mpf(high)
        angles = [mpmath.pi * (j + mpmath.mpf(1) / 2) / n for j in range(n)]
        values = [f((low + high) / 2 + (high - low) / 2 * mpmath.cos(a)) for a in angles]
        coefficients = [2 * sum(v * mpmath.cos(k * a) for v, a in zip(values, angles)) / n for k in range(n)]
        return [float(coefficients[0] / 2)] + [float(c) for c in coefficients[1:]]

    def erf_over_x(s):
        return 2 / mpmath.sqrt(mpmath.pi) if s == 0 else mpmath.erf(mpmath.sqrt(s)) / mpmath.sqrt(s)

    assert list(A._ERF_SMALL) == chebyshev(erf_over_x, len(A._ERF_SMALL), 0, A._ERF_SPLIT ** 2)
    assert list(A._ERFCX_LARGE) == chebyshev(lambda x: mpmath.erfc(x) * mpmath.exp(x * x), len(A._ERFCX_LARGE),
                                             A._ERF_SPLIT, A._ERF_ONE)


@pytest.mark.parametrize("call", [lambda lib: lib.arange(4).norm(), lambda lib: lib.ones(2, 3).mm(lib.ones(3)),
                                  lambda lib: lib.ones(3).dot(lib.ones(3, 1)), lambda lib: lib.ones(2, 2).outer(lib.ones(2))])
def test_misuse_raises_in_both_libraries(call):
    "Integer norms and wrong ranks for mm, dot and outer raise in PyTorch; they raise in tinytorch too (a clear error)."
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises((TypeError, ValueError)) as error:
        call(tt)
    assert any(name in str(error.value) for name in ("norm", "mm", "dot", "outer")), error.value


def test_norm_refuses_the_p_it_does_not_compute():
    with pytest.raises(NotImplementedError, match="p=inf"):
        tt.ones(3).norm(float("inf"))


def test_as_tensor_shares_memory_where_pytorchs_does():
    array = np.zeros(3, np.float32)
    shared, copied = tt.as_tensor(array), tt.as_tensor(array, dtype=tt.float64)
    array[0] = 5
    assert shared.tolist() == [5, 0, 0] and copied.tolist() == [0, 0, 0]
    t = tt.ones(2)
    assert tt.as_tensor(t) is t and tt.as_tensor(t, tt.float32) is t and tt.as_tensor(t, tt.float64) is not t


def test_logsumexp_of_only_minus_infinity_is_minus_infinity_without_a_warning():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tt.tensor([float("-inf")] * 3).logsumexp(0).item() == float("-inf")


def _in_place_division(lib):
    x = lib.tensor([7, -8, 9])
    alias = x
    x //= 2
    after_floor = alias.clone()
    x %= 3
    return [after_floor, alias, lib.tensor(x._version)]


def test_in_place_floor_division_and_remainder_change_the_tensor_itself():
    ours, theirs = _in_place_division(tt), _in_place_division(torch)
    for a, b in zip(ours, theirs):
        assert a.tolist() == b.tolist()


@pytest.mark.parametrize("divide", [lambda lib: lib.tensor([5, 6]) // 0, lambda lib: lib.tensor([5]) % lib.tensor([0]),
                                    lambda lib: 5 // lib.tensor([1, 0])])
def test_integer_division_by_zero_raises(divide):
    "NumPy gives 0 and a warning; Python and PyTorch raise (PyTorch a RuntimeError naming ZeroDivisionError)."
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        divide(torch)
    with pytest.raises(ZeroDivisionError):
        divide(tt)


@pytest.mark.parametrize("backward", [lambda lib, x: (x // 2 * x).sum().backward(),
                                      lambda lib, x: (3.0 // x).sum().backward(),
                                      lambda lib, x: (7.5 % x).sum().backward()])
def test_backward_through_operations_without_a_derivative_raises_as_in_pytorch(backward):
    "Where PyTorch has no derivative, a backward through the operation raises, never leaves its gradient out."
    for lib in (torch, tt):
        with pytest.raises(RuntimeError, match="derivative for"):
            backward(lib, lib.tensor([1.5, -2.0], requires_grad=True))
