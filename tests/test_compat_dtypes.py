"""tinytorch's dtypes (module 02): `tt.dtype` objects that print, compare and answer like PyTorch's `torch.dtype`,
and that NumPy still takes wherever it takes a dtype (they carry the NumPy dtype as `.dtype`)."""
from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

import tinytorch as tt
from tests.reference import needs_torch, torch

# (tinytorch name, the NumPy dtype it stands for, PyTorch's name of the same type)
DTYPES = [("float16", np.float16, "float16"), ("float32", np.float32, "float32"), ("float64", np.float64, "float64"),
          ("int32", np.int32, "int32"), ("int64", np.int64, "int64"), ("bool_", np.bool_, "bool")]
ALIASES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32",
           "bool": "bool_"}


@pytest.mark.parametrize("name, numpy_type, torch_name", DTYPES)
def test_a_dtype_prints_like_pytorchs_and_equals_numpys(name, numpy_type, torch_name):
    d = getattr(tt, name)
    assert isinstance(d, tt.dtype)
    assert str(d) == repr(d) == f"tinytorch.{torch_name}"
    assert d == numpy_type and numpy_type == d and d == np.dtype(numpy_type) and np.dtype(numpy_type) == d
    assert d == np.dtype(numpy_type).name and not d != np.dtype(numpy_type)
    assert hash(d) == hash(np.dtype(numpy_type))
    assert {np.dtype(numpy_type): "found"}[d] == "found" and {d: "found"}[np.dtype(numpy_type)] == "found"
    assert d.itemsize == np.dtype(numpy_type).itemsize
    assert d.is_floating_point == (name.startswith("float")) and not d.is_complex
    assert d.is_signed == (name != "bool_")


@pytest.mark.parametrize("name, numpy_type, torch_name", DTYPES)
def test_a_tensors_dtype_is_the_one_object_for_its_type(name, numpy_type, torch_name):
    d = getattr(tt, name)
    t = tt.zeros(2, 3, dtype=d)
    assert t.dtype is d and tt.tensor(np.zeros(2, numpy_type)).dtype is d and t.to(numpy_type).dtype is d
    assert pickle.loads(pickle.dumps(d)) is d and copy.deepcopy(d) is d and copy.copy(d) is d


def test_unequal_dtypes_and_other_objects():
    assert tt.float32 != tt.float64 and tt.float32 != np.float64 and tt.int64 != "float32"
    assert tt.float32 != None and tt.float32 != 1.0 and tt.float32 != "banana"  # noqa: E711
    assert len({tt.float32, tt.float, np.dtype(np.float32), tt.float64}) == 2


def test_aliases_are_the_same_objects_and_stay_out_of_star_imports():
    for alias, name in ALIASES.items():
        assert getattr(tt, alias) is getattr(tt, name)
    namespace: dict = {}
    exec("from tinytorch import *", namespace)
    assert "dtype" in namespace and not {"float", "int", "bool"} & set(namespace)


@pytest.mark.parametrize("name, numpy_type, torch_name", DTYPES)
def test_numpy_takes_a_tinytorch_dtype_wherever_it_takes_a_dtype(name, numpy_type, torch_name):
    d = getattr(tt, name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DeprecationWarning for the `.dtype` attribute protocol
        assert np.dtype(d) is np.dtype(numpy_type)
        assert np.zeros(3, dtype=d).dtype == numpy_type and np.arange(3).astype(d).dtype == numpy_type
        assert np.asarray([1, 0], dtype=d).dtype == numpy_type and np.full(2, 1, d).dtype == numpy_type
        assert np.issubdtype(d, np.floating) == name.startswith("float")
        assert np.result_type(d, np.int8) == np.result_type(numpy_type, np.int8)
        if name.startswith("float"):
            assert np.finfo(d).eps == np.finfo(numpy_type).eps
        elif name != "bool_":
            assert np.iinfo(d).max == np.iinfo(numpy_type).max


def test_as_dtype_gives_numpys_dtype_for_every_spelling():
    for given in (tt.float64, tt.double, np.float64, "float64", float, np.dtype("float64")):
        got = tt.as_dtype(given)
        assert isinstance(got, np.dtype) and got == np.float64
    with pytest.raises(TypeError, match="tinytorch.float32"):  # the supported list, in PyTorch's spelling
        tt.as_dtype(np.uint8)


def test_an_unsupported_numpy_dtype_reached_by_numpy_code_still_has_a_dtype():
    t = tt.Tensor(np.zeros(2))
    t.data = np.zeros(2, np.uint8)  # as NumPy code working on `data` could leave it
    assert str(t.dtype) == "tinytorch.uint8" and t.dtype is t.dtype and t.dtype == np.uint8


@needs_torch
@pytest.mark.parametrize("name, numpy_type, torch_name", DTYPES)
def test_dtypes_print_and_answer_as_pytorchs(name, numpy_type, torch_name):
    ours, theirs = getattr(tt, name), getattr(torch, torch_name)
    assert str(ours).replace("tinytorch.", "torch.") == str(theirs)
    assert repr(ours).replace("tinytorch.", "torch.") == repr(theirs)
    assert (ours.is_floating_point, ours.is_complex, ours.is_signed, ours.itemsize) == (
        theirs.is_floating_point, theirs.is_complex, theirs.is_signed, theirs.itemsize)
    values = np.zeros((2, 2), numpy_type)
    assert str(tt.tensor(values).dtype).replace("tinytorch.", "torch.") == str(torch.tensor(values).dtype)
    assert repr(tt.tensor(values)).replace("tinytorch.", "torch.") == repr(torch.tensor(values))


@needs_torch
def test_aliases_name_the_same_types_as_pytorchs():
    for alias, name in ALIASES.items():
        assert str(getattr(tt, alias)).replace("tinytorch.", "torch.") == str(getattr(torch, alias))
