"""The build: nbs/ → clean library, source/ with nbgrader metadata, release/ without secrets;
deterministic, and the committed files match a fresh build."""
from __future__ import annotations

import filecmp
import json
import re
import shutil
import subprocess
import sys

import pytest

from course import ROOT
from course.build import GENERATED, build, stale_files
from course.notebooks import HIDDEN_BEGIN, HIDDEN_END, MARKERS, cell_roles, module_notebooks, read_notebook

MODULES = [p.stem for p in module_notebooks(ROOT / "nbs")]


def hidden_lines(source: str) -> list[str]:
    "Non-blank lines inside hidden-test regions of a cell."
    inside, lines = False, []
    for line in source.splitlines():
        if line.strip() == HIDDEN_BEGIN:
            inside = True
        elif line.strip() == HIDDEN_END:
            inside = False
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


def solution_lines(source: str) -> list[str]:
    inside, lines = False, []
    for line in source.splitlines():
        if line.strip() == "### BEGIN SOLUTION":
            inside = True
        elif line.strip() == "### END SOLUTION":
            inside = False
        elif inside and line.strip() and not line.strip().startswith("#"):
            lines.append(line.strip())
    return lines


def outside_regions(source: str) -> list[str]:
    "Stripped lines of a cell that are in no solution or hidden-test region."
    inside, lines = False, []
    for line in source.splitlines():
        if line.strip() in (HIDDEN_BEGIN, "### BEGIN SOLUTION"):
            inside = True
        elif line.strip() in (HIDDEN_END, "### END SOLUTION"):
            inside = False
        elif not inside:
            lines.append(line.strip())
    return lines


def test_scratch_course_builds_library_source_and_release(scratch_course):
    assert build(scratch_course) == ["01_double"]
    library = (scratch_course / "tinytorch" / "double.py").read_text()
    assert "return 2 * x" in library and "BEGIN" not in library and "assert" not in library
    init = (scratch_course / "tinytorch" / "__init__.py").read_text()
    assert "from .double import *" in init
    source = read_notebook(scratch_course / "source" / "01_double" / "01_double.ipynb")
    meta = [c.metadata.get("nbgrader") for c in source.cells]
    assert meta[0] is None  # markdown stays unlocked and ungraded
    assert meta[3] == {"grade": False, "solution": True, "locked": False, "grade_id": "double", "schema_version": 3}
    assert meta[4]["grade"] and meta[4]["locked"] and meta[4]["points"] == 1
    release = (scratch_course / "release" / "01_double" / "01_double.ipynb").read_text()
    assert "return 2 * x" not in release and "double(-3)" not in release
    assert "raise NotImplementedError()" in release and "Twice `x`." in release
    assert "# Hidden tests: negative numbers" in release


def test_build_is_deterministic(tmp_path):
    "Two builds of the real course from scratch give byte-identical files."
    outputs = []
    for name in ("a", "b"):
        course = tmp_path / name
        (course / "nbs").mkdir(parents=True)
        for nb in module_notebooks(ROOT / "nbs"):
            (course / "nbs" / nb.name).write_bytes(nb.read_bytes())
        for f in ("settings.ini", "nbgrader_config.py"):
            (course / f).write_bytes((ROOT / f).read_bytes())
        build(course)
        outputs.append(course)
    for folder in GENERATED:
        comparison = filecmp.dircmp(outputs[0] / folder, outputs[1] / folder, ignore=["__pycache__"])
        assert not comparison.diff_files and not comparison.left_only and not comparison.right_only, folder


def test_committed_build_is_up_to_date():
    stale = stale_files(ROOT)
    assert not stale, "run `python -m course build` and commit:\n" + "\n".join(stale)


def test_library_has_no_grading_markers_tests_or_widgets():
    for path in (ROOT / "tinytorch").rglob("*.py"):
        text = path.read_text()
        for marker in MARKERS + ("BEGIN SOLUTION", "HIDDEN TESTS", "YOUR CODE HERE"):
            assert marker not in text, f"{path.name} contains '{marker}'"
        # plotting may be imported inside the functions that draw (tests/test_pipeline checks that
        # `import tinytorch` stays light); never at module level, and widgets never at all
        assert not re.search(r"^(import|from)\s+(ipywidgets|matplotlib|IPython|pytest)", text, re.M), path.name
        assert not re.search(r"^\s*(import|from)\s+(ipywidgets|IPython|pytest)", text, re.M), path.name
        assert not re.search(r"^\s*assert\b", text, re.M), f"{path.name} contains test asserts"


def test_library_is_exactly_the_exported_cells():
    "Every non-blank line of the library comes from an #| export cell (no test or widget code)."
    exported = set()
    for nb_path in module_notebooks(ROOT / "nbs"):
        nb = read_notebook(nb_path)
        for cell, role in zip(nb.cells, cell_roles(nb, nb_path)):
            if role is not None and role.exported:
                exported.update(line.rstrip() for line in cell.source.splitlines())
    # nbdev writes imports of earlier modules relative: `from tinytorch.tensor` → `from .tensor`,
    # `from tinytorch import layers` → `from . import layers`
    exported |= {re.sub(r"^(\s*)from tinytorch(\.| import )", lambda m: f"{m[1]}from .{'' if m[2] == '.' else ' import '}", line)
                 for line in exported}
    for path in (ROOT / "tinytorch").glob("*.py"):
        if path.name == "__init__.py":
            continue
        code = re.sub(r"^__all__ = \[.*?\]\n", "", path.read_text(), flags=re.M | re.S)
        for line in code.splitlines():
            if line.strip() and not line.startswith(("# %%", "# AUTOGENERATED")):
                assert line.rstrip() in exported, f"{path.name}: {line!r} is not from an export cell"


@pytest.mark.parametrize("module", MODULES)
def test_release_has_stubs_and_no_secrets(module):
    source = read_notebook(ROOT / "source" / module / f"{module}.ipynb")
    release_text = (ROOT / "release" / module / f"{module}.ipynb").read_text()
    release = read_notebook(ROOT / "release" / module / f"{module}.ipynb")
    for marker in MARKERS:
        assert marker not in release_text
    region_lines = {line for c in source.cells for line in hidden_lines(c.source) + solution_lines(c.source)}
    public_lines = {line for c in source.cells for line in outside_regions(c.source)}
    secret = region_lines - public_lines
    assert len(secret) > 10  # the check below has something to find
    leaked = [line for line in secret if len(line) > 12 and line in release_text]
    assert not leaked, f"solution or hidden-test lines in release: {leaked[:5]}"
    solutions = [c for c in release.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert solutions and all("raise NotImplementedError()" in c.source for c in solutions)
    assert all(not c.get("outputs") for c in release.cells if c.cell_type == "code")
    # every directive students need to build their own library is kept
    assert "#| default_exp" in release_text and "#| export" in release_text


@pytest.mark.parametrize("module", MODULES)
def test_source_has_no_outputs_and_locks_non_solution_code(module):
    nb = read_notebook(ROOT / "source" / module / f"{module}.ipynb")
    for cell in nb.cells:
        if cell.cell_type == "code":
            meta = cell.metadata["nbgrader"]
            assert not cell.outputs and cell.execution_count is None
            assert meta["solution"] != meta["locked"], cell.source[:60]


def test_import_tinytorch_is_light():
    "import tinytorch needs only NumPy: no Jupyter, widget, plotting or psutil import on its path."
    code = ("import sys; import tinytorch\n"
            "heavy = sorted(m for m in ('IPython', 'ipywidgets', 'matplotlib', 'psutil', 'jupyter_core', "
            "'nbformat', 'nbdev', 'fastcore') if m in sys.modules)\n"
            "import json; print(json.dumps({'heavy': heavy}))")
    out = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                    check=True, cwd="/").stdout)
    assert out["heavy"] == []


def test_wheel_holds_the_namespaces_and_the_data(tmp_path):
    "`pip install .` gets the whole package: tt.nn, tt.optim and the digits, not only the flat modules."
    import zipfile

    source = tmp_path / "source"  # built from a copy: setuptools writes build/ and *.egg-info next to it
    shutil.copytree(ROOT / "tinytorch", source / "tinytorch", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", source / "pyproject.toml")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), str(source)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("tinytorch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("tinytorch/nn/functional.py", "tinytorch/optim/lr_scheduler.py", "tinytorch/data/digits.npz",
                 "tinytorch/autograd.py", "tinytorch/benchmarking.py"):
        assert name in names, f"{name} missing from the wheel"
