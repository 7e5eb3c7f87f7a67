"""Shared fixtures: a scratch course built from small notebooks, and the real course root."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course import ROOT

# The reference library for the processes and kernels the tests start: the .venv does not have the
# repository on its path (scripts/setup.sh), so that a clone's plain `jupyter lab` gives students none.
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])


# The longest test files first: with two workers (scripts/test.sh) the run ends when its last file
# does, so the long ones must not start last (the slowest of the CI runs so far, slowest first).
LONGEST_FIRST = ("test_demo_class.py", "browser/", "test_analysis_cells.py", "test_distributed.py",
                 "test_resume_grading.py")


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        return next((i for i, name in enumerate(LONGEST_FIRST) if name in item.nodeid), len(LONGEST_FIRST))
    items.sort(key=rank)  # stable: the order within a file is kept


def write_module(path: Path, *cells: str, markdown: str = "# A module") -> Path:
    "Write a module notebook whose code cells have the given sources."
    nb = new_notebook(cells=[new_markdown_cell(markdown)] + [new_code_cell(c) for c in cells])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


GOOD_CELLS = (
    "#| default_exp double",
    "#| export\nimport math",
    '#| export\n#| solution double\ndef double(x: float) -> float:\n    "Twice `x`."\n'
    "    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
    "#| test double_small points=1\nassert double(2) == 4, 'double(2) should be 4'",
    "#| test double_negative points=2\n# Hidden tests: negative numbers\n"
    "### BEGIN HIDDEN TESTS\nassert double(-3) == -6, 'double(-3) should be -6'\n### END HIDDEN TESTS",
)


@pytest.fixture
def scratch_course(tmp_path: Path) -> Path:
    "A one-module course folder (nbs/, settings.ini, nbgrader_config.py) in tmp_path."
    write_module(tmp_path / "nbs" / "01_double.ipynb", *GOOD_CELLS)
    for name in ("settings.ini", "nbgrader_config.py"):
        shutil.copy2(ROOT / name, tmp_path / name)
    return tmp_path


def copy_course(dest: Path) -> Path:
    "A copy of the real course (as committed) to grade or build in without touching the repo."
    for folder in ("nbs", "source", "release", "tinytorch", "demo", "data"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("settings.ini", "nbgrader_config.py"):
        shutil.copy2(ROOT / name, dest / name)
    return dest
