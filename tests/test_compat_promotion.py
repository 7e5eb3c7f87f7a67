"""PyTorch's type promotion (issue 13: nothing differs silently): every arithmetic operator and elementwise
function on every pair of operand kinds gives PyTorch's dtype and values. Operands: tensors with dimensions
and 0-d tensors of each supported dtype, Python numbers and NumPy scalars, on either side."""
from __future__ import annotations

import operator

import numpy as np
import pytest

import tinytorch as tt
from tests.reference import needs_torch, torch

pytestmark = needs_torch

DTYPES = ["bool", "int32", "int64", "float16", "float32", "float64"]
VALUES = np.array([[1, 2, 3], [4, 5, 6]])  # no zero: every division and remainder is defined
NUMBERS = {"True": True, "3": 3, "2.5": 2.5, "np.float64(2.5)": np.float64(2.5), "np.float32(2.5)": np.float32(2.5),
           "np.int64(3)": np.int64(3), "np.int32(3)": np.int32(3)}
# The one listed difference (docs/PYTORCH.md): a bool tensor to the power of a Python bool raises, as every
# other `**` of bools does in both libraries; PyTorch alone computes this one.
RAISES_IN_TINYTORCH_ONLY = {"(bool) ** True", "(bool 0-d) ** True"}
BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow,
          "//": operator.floordiv, "%": operator.mod}


def make(lib, dtype: str, zero_dim: bool):
    "A tensor of `dtype` from VALUES (its first element if `zero_dim`) in `lib`."
    values = VALUES[0, 0] if zero_dim else VALUES
    return lib.tensor(np.asarray(values).astype(dtype), dtype=getattr(lib, dtype))


def tensor_operands():
    return [(f"{dtype}{' 0-d' if zero_dim else ''}", dtype, zero_dim) for dtype in DTYPES for zero_dim in (False, True)]


def outcome(fn):
    "`fn()` as (dtype name, values), or the exception's type if it raises."
    try:
        result = fn()
    except Exception as error:  # noqa: BLE001 - what is compared is whether both raise
        return type(error)
    return str(result.dtype).split(".")[-1], np.asarray(result.numpy() if hasattr(result, "numpy") else result,
                                                        dtype=np.float64)


def assert_same_outcome(expression: str, ours, theirs):
    if expression in RAISES_IN_TINYTORCH_ONLY:
        assert isinstance(ours, type) and not isinstance(theirs, type), expression
        return
    if isinstance(theirs, type) or isinstance(ours, type):
        assert isinstance(ours, type) and isinstance(theirs, type), (
            f"{expression}: tinytorch gave {ours}, PyTorch {theirs} (one raised, the other did not)")
        return
    assert ours[0] == theirs[0], f"{expression}: tinytorch's dtype is {ours[0]}, PyTorch's {theirs[0]}"
    tolerance = {"float16": 2e-3, "float32": 1e-6}.get(theirs[0], 1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=tolerance, err_msg=expression)


@pytest.mark.parametrize("symbol", BINARY)
def test_operators_on_two_tensors_promote_as_pytorch(symbol):
    fn = BINARY[symbol]
    for left_name, left_dtype, left_0d in tensor_operands():
        for right_name, right_dtype, right_0d in tensor_operands():
            expression = f"({left_name}) {symbol} ({right_name})"
            ours = outcome(lambda: fn(make(tt, left_dtype, left_0d), make(tt, right_dtype, right_0d)))
            theirs = outcome(lambda: fn(make(torch, left_dtype, left_0d), make(torch, right_dtype, right_0d)))
            assert_same_outcome(expression, ours, theirs)


@pytest.mark.parametrize("symbol", BINARY)
def test_operators_with_numbers_promote_as_pytorch(symbol):
    fn = BINARY[symbol]
    for name, dtype, zero_dim in tensor_operands():
        for number_name, number in NUMBERS.items():
            for reflected in (False, True):
                def run(lib):
                    t = make(lib, dtype, zero_dim)
                    return fn(number, t) if reflected else fn(t, number)
                expression = f"{number_name} {symbol} ({name})" if reflected else f"({name}) {symbol} {number_name}"
                assert_same_outcome(expression, outcome(lambda: run(tt)), outcome(lambda: run(torch)))


@pytest.mark.parametrize("function", ["maximum", "minimum"])
def test_maximum_and_minimum_promote_as_pytorch(function):
    for left_name, left_dtype, left_0d in tensor_operands():
        for right_name, right_dtype, right_0d in tensor_operands():
            def run(lib):
                return getattr(lib, function)(make(lib, left_dtype, left_0d), make(lib, right_dtype, right_0d))
            assert_same_outcome(f"{function}({left_name}, {right_name})", outcome(lambda: run(tt)), outcome(lambda: run(torch)))


@pytest.mark.parametrize("method", ["exp", "log", "sqrt", "sin", "cos", "log1p", "reciprocal", "rsqrt", "abs", "neg"])
def test_elementwise_functions_of_integers_and_bools_give_pytorchs_dtype(method):
    for name, dtype, zero_dim in tensor_operands():
        def run(lib):
            return getattr(make(lib, dtype, zero_dim), method)()
        assert_same_outcome(f"({name}).{method}()", outcome(lambda: run(tt)), outcome(lambda: run(torch)))


@pytest.mark.parametrize("bounds", [dict(min=1.5), dict(max=2.5), dict(min=2, max=4), dict(min=1.5, max=4)])
def test_clamp_with_float_bounds_makes_integers_float32(bounds):
    for name, dtype, zero_dim in tensor_operands():
        if dtype == "bool":
            continue  # PyTorch refuses to clamp bools
        assert_same_outcome(f"({name}).clamp({bounds})", outcome(lambda: make(tt, dtype, zero_dim).clamp(**bounds)),
                            outcome(lambda: make(torch, dtype, zero_dim).clamp(**bounds)))


def test_result_type_and_promote_types_match_pytorchs():
    for left_name, left_dtype, left_0d in tensor_operands():
        for right_name, right_dtype, right_0d in tensor_operands():
            ours = tt.result_type(make(tt, left_dtype, left_0d), make(tt, right_dtype, right_0d))
            theirs = torch.result_type(make(torch, left_dtype, left_0d), make(torch, right_dtype, right_0d))
            assert str(ours).split(".")[-1] == str(theirs).split(".")[-1], f"result_type({left_name}, {right_name})"
        for number_name, number in NUMBERS.items():
            ours = tt.result_type(make(tt, left_dtype, left_0d), number)
            theirs = torch.result_type(make(torch, left_dtype, left_0d), number)
            assert str(ours).split(".")[-1] == str(theirs).split(".")[-1], f"result_type({left_name}, {number_name})"
    for a in DTYPES:
        for b in DTYPES:
            ours = tt.promote_types(getattr(tt, a if a != "bool" else "bool_"), getattr(tt, b if b != "bool" else "bool_"))
            assert str(ours).split(".")[-1] == str(torch.promote_types(getattr(torch, a), getattr(torch, b))).split(".")[-1], (a, b)


def test_gradients_keep_each_inputs_dtype_across_promotion():
    "float32 weights times a 0-d float64 scale that requires grad: a float32 result, each gradient in its input's dtype."
    def run(lib):
        w = lib.tensor(np.array([[0.5, -1.0], [2.0, 0.25]], np.float32), requires_grad=True)
        scale = lib.tensor(1.5, dtype=lib.float64, requires_grad=True)
        out = (w * scale + lib.tensor([1, 2])) / 3
        out.sum().backward()
        return out, w.grad, scale.grad
    for ours, theirs in zip(run(tt), run(torch)):
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)


def test_numpy_promotion_is_only_what_numpy_arrays_do():
    "An ndarray operand counts as a tensor of its dtype (PyTorch converts it the same way): float32 + float64 array is float64."
    assert (tt.ones(2) + np.ones(2)).dtype == tt.float64
    assert (tt.ones(2) + np.ones(2, np.float32)).dtype == tt.float32
    assert (tt.tensor([1, 2]) + np.ones(2, np.float32)).dtype == tt.float32


MIXED = {
    "where(cond, int64, 2.5)": lambda lib: lib.where(lib.tensor([True, False]), lib.tensor([1, 2]), 2.5),
    "where(cond, float32, int64)": lambda lib: lib.where(lib.tensor([True, False]), lib.tensor([1.0, 2.0]), lib.tensor([3, 4])),
    "where(cond, float32, 0-d float64)": lambda lib: lib.where(lib.tensor([True, False]), lib.tensor([1.0, 2.0]),
                                                             lib.tensor(2.0, dtype=lib.float64)),
    "where(cond, float32, np.float64(2.5))": lambda lib: lib.where(lib.tensor([True, False]), lib.tensor([1.0, 2.0]), np.float64(2.5)),
    "where(cond, 1.0, 0.0)": lambda lib: lib.where(lib.tensor([True, False]), 1.0, 0.0),
    "float32.where(cond, int64)": lambda lib: lib.tensor([1.0, 2.0]).where(lib.tensor([True, False]), lib.tensor([3, 4])),
    "cat(float32, int64)": lambda lib: lib.cat([lib.tensor([1.0, 2.0]), lib.tensor([3, 4])]),
    "cat(float16, int64, bool)": lambda lib: lib.cat([lib.tensor([1.0], dtype=lib.float16), lib.tensor([3]), lib.tensor([True])]),
    "cat(int32, int64)": lambda lib: lib.cat([lib.tensor([1], dtype=lib.int32), lib.tensor([3])]),
    "stack(float32, int64)": lambda lib: lib.stack([lib.tensor([1.0, 2.0]), lib.tensor([3, 4])]),
    "stack(float32, float64)": lambda lib: lib.stack([lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0], dtype=lib.float64)]),
    "float32.clamp(min=np.float64(1.5))": lambda lib: lib.tensor([1.0, 2.0]).clamp(min=np.float64(1.5)),
    "int64.clamp(min=np.float64(1.5))": lambda lib: lib.tensor([1, 2]).clamp(min=np.float64(1.5)),
    "int64.clamp(0-d float32 tensor)": lambda lib: lib.tensor([1, 2]).clamp(lib.tensor(1.5)),
    "float32.clamp(max=float64 tensor)": lambda lib: lib.tensor([1.0, 2.0]).clamp(max=lib.tensor([1.5, 1.5], dtype=lib.float64)),
    "int64.clamp(1, 3)": lambda lib: lib.tensor([0, 2, 5]).clamp(1, 3),
}


@pytest.mark.parametrize("case", MIXED)
def test_functions_of_several_tensors_promote_as_pytorch(case):
    run = MIXED[case]
    assert_same_outcome(case, outcome(lambda: run(tt)), outcome(lambda: run(torch)))
