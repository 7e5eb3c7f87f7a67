"""The silent-difference audit: every Tensor method and attribute, and every tinytorch function, that
shares its name with PyTorch's is called on the same standard inputs in both libraries (float64, then
int64); where both succeed, the results must agree in value and dtype, unless docs/PYTORCH.md lists the
name (with its reason) in the audit table. Both libraries are seeded alike before every call, so the
random functions are held to PyTorch's numbers too. An error in
tinytorch where PyTorch succeeds is loud, not silent: not this test's business (tests/test_compat.py
covers the names of issue 13 one by one). Keyword defaults are compared too (test_keyword_defaults_are_pytorchs)."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import numpy as np
import pytest

import tinytorch as tt
from tests.reference import needs_torch, torch

pytestmark = needs_torch

DOC = Path(__file__).resolve().parent.parent / "docs" / "PYTORCH.md"
VALUES = np.array([[0.5, 1.25, 2.0, 0.75], [1.5, 0.25, 1.75, 1.0], [0.625, 1.125, 0.375, 1.875]])
OTHER = VALUES[::-1, ::-1] + 0.5
# the standard inputs X and O of each dtype: the floats above, and whole numbers 2..19 for integer inputs
STANDARD = {"float64": (VALUES, OTHER), "int64": ((8 * VALUES).astype(np.int64), (8 * OTHER).astype(np.int64))}
# Argument lists tried on every callable (`X` and `O` stand for the standard tensors)
X, O = "X", "O"
ARGUMENTS = [(), (O,), (2.0,), (1,), (0,), (-1,), ((4, 3),), ((4, 3), 2), (3, 4), (1, 0), (X,), (X, O), (X, 2.0),
             (X, 1)]
KEYWORDS = [{}, {"dim": 1}, {"dim": 0, "keepdim": True}]


def listed_names() -> set[str]:
    "The names in the first column of the audit table of docs/PYTORCH.md."
    text = DOC.read_text(encoding="utf-8")
    if "## Audit: names that behave differently" not in text:
        return set()
    section = text.split("## Audit: names that behave differently", 1)[1].split("\n## ", 1)[0]
    return {match for match in re.findall(r"^\| `([^`]+)` \|", section, re.MULTILINE)}


def comparable(value):
    "A result as something `==`-comparable across libraries: arrays, tuples of them, or plain values."
    if isinstance(value, (tt.Tensor, torch.Tensor)):
        return str(value.dtype).split(".")[-1], np.asarray(value.detach().numpy(), dtype=np.float64)
    if isinstance(value, tuple) and not isinstance(value, torch.Size):
        return tuple(comparable(item) for item in value)
    if isinstance(value, torch.Size):
        return tuple(value)
    if isinstance(value, (tt.dtype, torch.dtype)):
        return str(value).split(".")[-1]
    if isinstance(value, (bool, int, float, np.number, np.bool_)):
        return float(value)
    if value is None:
        return None
    return str(value)


def same(a, b, integer_inputs: bool = False) -> bool:
    "Equal comparable results (dtypes by name); with integer inputs, values to float32's precision (PyTorch's results)."
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        rtol = 1e-6 if integer_inputs else 1e-9  # float32 results from PyTorch
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and np.allclose(a, b, rtol=rtol, atol=1e-12, equal_nan=True))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y, integer_inputs) for x, y in zip(a, b))
    return a == b


def outcomes(lib, get, args, kwargs, dtype="float64"):
    """('ok', comparable result, the receiver after the call) or ('error', None, None), for inputs of `dtype`, with
    the library's generator restarted from seed 0 first."""
    lib.manual_seed(0)
    x, o = (lib.tensor(values.copy(), dtype=getattr(lib, dtype)) for values in STANDARD[dtype])
    real = [x if a is X else o if a is O else a for a in args]
    try:
        result = get(lib, x)(*real, **kwargs)
    except Exception:  # noqa: BLE001 - every failure counts as "not comparable" here
        return "error", None, None
    return "ok", comparable(result), comparable(x)


def shared_method_names() -> list[str]:
    ours = {name for name in dir(tt.Tensor) if not name.startswith("_") or name in DUNDERS}
    return sorted(name for name in ours if hasattr(torch.Tensor, name))


DUNDERS = {"__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
           "__pow__", "__rpow__", "__neg__", "__matmul__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__",
           "__ge__", "__getitem__", "__iadd__", "__isub__", "__imul__", "__itruediv__", "__len__", "__bool__",
           "__float__", "__int__", "__repr__", "__setitem__"}


def differences(get) -> list[str]:
    "Argument lists on which both libraries succeed but differ (in the result or the receiver)."
    found = []
    for dtype in STANDARD:
        integers = dtype == "int64"
        for args in ARGUMENTS:
            for kwargs in KEYWORDS:
                ours, theirs = outcomes(tt, get, args, kwargs, dtype), outcomes(torch, get, args, kwargs, dtype)
                if ours[0] == theirs[0] == "ok" and not (same(ours[1], theirs[1], integers)
                                                         and same(ours[2], theirs[2], integers)):
                    found.append(f"{dtype} {args} {kwargs}: {ours[1]!r:.80} vs PyTorch {theirs[1]!r:.80}")
    return found


def test_the_audit_table_exists_and_names_real_names():
    names = listed_names()
    assert names, "docs/PYTORCH.md has no audit table"
    unknown = [n for n in names if not (hasattr(tt.Tensor, n.removeprefix("Tensor.")) or hasattr(tt, n))]
    assert not unknown, f"the audit table lists names tinytorch does not have: {unknown}"


@pytest.mark.parametrize("name", shared_method_names())
def test_tensor_method_behaves_like_pytorchs_or_is_listed(name):
    if isinstance(getattr(tt.Tensor, name), property) or not callable(getattr(torch.Tensor, name)):
        def get(lib, x):  # an attribute: compare its value
            return lambda *args, **kwargs: getattr(x, name) if not args and not kwargs else _no_call()
    else:
        def get(lib, x):
            return getattr(x, name)
    found = differences(get)
    if f"Tensor.{name}" in listed_names():
        return
    assert not found, (f"Tensor.{name} behaves differently from PyTorch's on the same input and is not in "
                       f"docs/PYTORCH.md's audit table:\n" + "\n".join(found[:5]))


def _no_call():
    raise TypeError("attributes are read without arguments")


def shared_function_names() -> list[str]:
    names = []
    for name in getattr(tt, "__all__", dir(tt)):
        value = getattr(tt, name, None)
        if callable(value) and not isinstance(value, type) and hasattr(torch, name):
            names.append(name)
    return sorted(names)


@pytest.mark.parametrize("name", shared_function_names())
def test_function_behaves_like_pytorchs_or_is_listed(name):
    found = differences(lambda lib, x: getattr(lib, name))
    if name in listed_names():
        return
    assert not found, (f"tinytorch.{name} behaves differently from torch.{name} on the same input and is not "
                       f"in docs/PYTORCH.md's audit table:\n" + "\n".join(found[:5]))


def test_names_listed_as_missing_are_missing():
    "The status table's 'missing' rows stay true: none of their names exists as a tinytorch function or method."
    section = DOC.read_text(encoding="utf-8").split("## Status of the names of issue 13", 1)[1]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| `")]
    missing = [name for cells in rows if len(cells) > 1 and cells[1].startswith("missing")
               for name in re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", cells[0])]
    assert len(missing) > 10, f"the status table's missing rows were not found: {missing}"
    present = [name for name in missing if hasattr(tt.Tensor, name) or hasattr(tt, name)]
    assert not present, f"docs/PYTORCH.md lists {present} as missing, but tinytorch has them: update the table"


# Defaults that differ in spelling only, or on purpose (docs/PYTORCH.md), by "namespace.name.parameter"
EQUIVALENT_DEFAULTS = {
    "nn.Softmax.dim": "documented: dim=-1 rather than PyTorch's implicit (deprecated) choice",
    "nn.LogSoftmax.dim": "documented: dim=-1 rather than PyTorch's implicit (deprecated) choice",
    "nn.ModuleList.modules": "() and None both mean no modules",
    "nn.ModuleDict.modules": "() and None both mean no modules",
    "utils.data.DataLoader.shuffle": "False and None both mean no shuffling",
    "utils.data.DataLoader.prefetch_factor": "PyTorch's None means 2 batches per worker, tinytorch's 2",
    "utils.data.random_split.generator": "None means the default generator, which is PyTorch's default",
}


def _defaults(function) -> dict:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):  # a builtin without a signature
        return {}
    return {name: p.default for name, p in parameters.items() if p.default is not inspect.Parameter.empty}


def _shared_callables():
    "(label, tinytorch callable, PyTorch callable) for every public class or function both namespaces have."
    spaces = [("tt", tt, torch), ("nn", tt.nn, torch.nn), ("nn.functional", tt.nn.functional, torch.nn.functional),
              ("optim", tt.optim, torch.optim), ("optim.lr_scheduler", tt.optim.lr_scheduler, torch.optim.lr_scheduler),
              ("utils.data", tt.utils.data, torch.utils.data)]
    for label, ours, theirs in spaces:
        for name in dir(ours):
            if name.startswith("_") or not hasattr(theirs, name):
                continue
            a, b = getattr(ours, name), getattr(theirs, name)
            if inspect.isclass(a) and inspect.isclass(b):
                yield f"{label}.{name}", a.__init__, b.__init__
            elif callable(a) and callable(b) and not inspect.isclass(a) and not inspect.isclass(b):
                yield f"{label}.{name}", a, b
    for name in dir(tt.Tensor):
        if not name.startswith("_") and callable(getattr(torch.Tensor, name, None)):
            yield f"Tensor.{name}", getattr(tt.Tensor, name), getattr(torch.Tensor, name)


def test_keyword_defaults_are_pytorchs():
    """A parameter both libraries name has the same default (batch_first, reduction, momentum, ...): a script
    that leaves it out means the same in both, unless EQUIVALENT_DEFAULTS says why not."""
    differing, compared = [], 0
    for label, ours, theirs in _shared_callables():
        their_defaults = _defaults(theirs)
        for name, default in _defaults(ours).items():
            if name not in their_defaults:
                continue
            compared += 1
            other = their_defaults[name]
            same = default is other or str(default).split(".")[-1] == str(other).split(".")[-1]
            if not same and f"{label}.{name}" not in EQUIVALENT_DEFAULTS:
                differing.append(f"{label}({name}={default!r}) where PyTorch has {name}={other!r}")
    assert compared > 100, f"only {compared} defaults compared: the namespaces were not found"
    assert not differing, "defaults that differ from PyTorch's:\n" + "\n".join(differing)
