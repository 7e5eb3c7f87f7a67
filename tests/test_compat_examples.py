"""The scripts in examples/compat/ are plain PyTorch programs: run with tinytorch (imported as
`torch`) and with PyTorch, their final numbers agree."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import tinytorch as tt
from tests.reference import needs_torch, torch

FOLDER = Path(__file__).resolve().parent.parent / "examples" / "compat"
SCRIPTS = sorted(path.stem for path in FOLDER.glob("*.py") if not path.stem.startswith("_"))


def load(name: str):
    "The script `name` of examples/compat as a module (its folder on sys.path for `_common`)."
    sys.path.insert(0, str(FOLDER))
    try:
        spec = importlib.util.spec_from_file_location(f"compat_{name}", FOLDER / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(FOLDER))


def test_there_are_at_least_six_scripts():
    assert len(SCRIPTS) >= 6, SCRIPTS


@needs_torch
@pytest.mark.parametrize("name", SCRIPTS)
def test_script_gives_pytorchs_numbers(name):
    run = load(name).run
    ours, theirs = run(tt), run(torch)
    assert ours.keys() == theirs.keys()
    for key in ours:
        a, b = ours[key], theirs[key]
        if isinstance(a, bool) or isinstance(b, bool):
            assert a == b, f"{name}: {key} is {a} with tinytorch, {b} with PyTorch"
        else:
            np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-6,
                                       atol=1e-9, err_msg=f"{name}: {key}")


@needs_torch
def test_manual_polynomial_fit_reaches_pytorchs_loss_and_learns():
    run = load("polynomial_manual").run
    ours, theirs = run(tt), run(torch)
    assert abs(ours["loss"] - theirs["loss"]) <= 1e-6 * abs(theirs["loss"])
    assert ours["loss"] < 0.1 * run(tt, steps=1)["loss"], "the manual no_grad update must train the weights"
