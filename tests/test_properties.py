"""Property-based tests of the shape logic (hypothesis): broadcasting, its gradient, reshape and
view, reductions with keepdim, and matmul's gradients, over randomly drawn shapes and values.

Each property is checked against an independent statement of it (NumPy's own rule, an adjoint
identity, central differences), never against a copy of the implementation. Runs are
derandomised so CI sees the same examples every time."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinytorch as tt
from tinytorch.autograd import unbroadcast
from tinytorch.tensor import broadcast_shapes
from tests.reference import assert_gradients_match_central_differences

PROPERTY = settings(max_examples=80, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)
small_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)


def values(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


@PROPERTY
@given(st.lists(shapes, min_size=0, max_size=4))
def test_broadcast_shapes_follows_numpy(shape_list):
    "The same result as np.broadcast_shapes, or a ValueError naming every shape when NumPy refuses."
    try:
        expected = np.broadcast_shapes(*shape_list)
    except ValueError:
        with pytest.raises(ValueError) as error:
            broadcast_shapes(*shape_list)
        assert all(str(tuple(shape)) in str(error.value) for shape in shape_list), str(error.value)
    else:
        assert broadcast_shapes(*shape_list) == expected


@PROPERTY
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4))
def test_broadcast_shapes_of_mutually_broadcastable_shapes(case):
    assert broadcast_shapes(*case.input_shapes) == case.result_shape


@PROPERTY
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4), st.integers(0, 2**16))
def test_unbroadcast_is_the_adjoint_of_broadcasting(case, seed):
    """unbroadcast(g, s) is the gradient of broadcasting: for every v of shape s,
    <g, broadcast_to(v, g.shape)> = <unbroadcast(g, s), v>, and the result has shape s."""
    shape, full = case.input_shapes[0], case.result_shape
    g, v = values(full, seed), values(shape, seed + 1)
    reduced = unbroadcast(g, shape)
    assert np.shape(reduced) == shape
    np.testing.assert_allclose(np.sum(g * np.broadcast_to(v, full)), np.sum(reduced * v), rtol=1e-10, atol=1e-10)


@PROPERTY
@given(shapes, st.data())
def test_reshape_and_view_follow_numpy(shape, data):
    "reshape to any shape of the same size (one size may be -1) equals NumPy's; view shares memory."
    size = math.prod(shape)
    new_shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=size or 1)
                          .filter(lambda s: math.prod(s) == size), label="new shape")
    if new_shape and size and data.draw(st.booleans(), label="use -1"):
        position = data.draw(st.integers(0, len(new_shape) - 1), label="position of -1")
        new_shape = new_shape[:position] + (-1,) + new_shape[position + 1:]
    x = np.arange(size, dtype=np.float32).reshape(shape)
    t = tt.Tensor(x)
    assert np.array_equal(t.reshape(new_shape).numpy(), x.reshape(new_shape))
    viewed = t.view(*new_shape)
    assert np.array_equal(viewed.numpy(), x.reshape(new_shape)) and np.shares_memory(viewed.numpy(), x) == (size > 0)


@PROPERTY
@given(hnp.array_shapes(min_dims=2, max_dims=4, min_side=2, max_side=4))
def test_view_of_a_transposed_tensor_refuses_and_reshape_copies(shape):
    x = np.arange(math.prod(shape), dtype=np.float32).reshape(shape)
    t = tt.Tensor(x).T
    with pytest.raises(RuntimeError, match="contiguous"):
        t.view(-1)
    flat = t.reshape(-1)
    assert np.array_equal(flat.numpy(), x.T.reshape(-1)) and not np.shares_memory(flat.numpy(), x)


def dims_of(ndim: int) -> st.SearchStrategy:
    "None, one dimension or a tuple of distinct dimensions of an ndim-d tensor, negative ones included."
    one = st.integers(-ndim, ndim - 1)
    several = st.lists(one, min_size=1, max_size=ndim, unique_by=lambda d: d % ndim).map(tuple)
    return st.one_of(st.none(), one, several) if ndim else st.none()


@PROPERTY
@given(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4), st.data())
def test_reductions_with_keepdim_follow_numpy(shape, data):
    dim = data.draw(dims_of(len(shape)), label="dim")
    keepdim = data.draw(st.booleans(), label="keepdim")
    x = values(shape)
    t = tt.tensor(x)
    for name in ("sum", "mean"):
        got = getattr(t, name)(dim=dim, keepdim=keepdim).numpy()
        expected = getattr(x, name)(axis=dim, keepdims=keepdim)
        assert got.shape == np.shape(expected), (name, dim, keepdim)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@settings(PROPERTY, max_examples=40)
@given(small_shapes, st.data())
def test_reduction_gradients_with_keepdim_match_central_differences(shape, data):
    dim = data.draw(dims_of(len(shape)), label="dim")
    keepdim = data.draw(st.booleans(), label="keepdim")
    for name in ("sum", "mean"):
        assert_gradients_match_central_differences(lambda t: getattr(t, name)(dim=dim, keepdim=keepdim), [values(shape)])


@st.composite
def matmul_shapes(draw) -> tuple[tuple[int, ...], tuple[int, ...]]:
    "Shapes a @ b accepts: vectors or matrices with broadcastable batch dimensions."
    m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
    batches = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3))
    kinds = draw(st.sampled_from(["matrix @ matrix", "vector @ matrix", "matrix @ vector", "vector @ vector"]))
    a = (k,) if kinds.startswith("vector") else batches.input_shapes[0] + (m, k)
    b = (k,) if kinds.endswith("vector") else batches.input_shapes[1] + (k, n)
    return a, b


@settings(PROPERTY, max_examples=60)
@given(matmul_shapes(), st.integers(0, 2**16))
def test_matmul_gradients_match_central_differences(shapes_ab, seed):
    a_shape, b_shape = shapes_ab
    assume(math.prod(a_shape) * math.prod(b_shape) <= 400)  # central differences cost a forward per element
    a, b = values(a_shape, seed), values(b_shape, seed + 1)
    assert np.shape((tt.tensor(a) @ tt.tensor(b)).numpy()) == np.shape(a @ b)
    assert_gradients_match_central_differences(lambda x, y: x @ y, [a, b], seed=seed)
