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
from course.build import GENERATED, build, generate_assignments, stale_files
from course.library import exported_names, module_exports, module_stats, prefix_library, write_namespaces
from course.notebooks import (MARKERS, NotebookError, cell_roles, hidden_lines, module_notebooks, public_lines,
                              read_notebook, solution_lines)
from tests.conftest import write_module

MODULES = [p.stem for p in module_notebooks(ROOT / "nbs")]


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


PACKAGE_CELLS = (  # a module exported as a package of two files, the second using the first's names
    "#| default_exp pkg",
    "#| export pkg.first\nfrom __future__ import annotations\n\nimport math\n\nSCALE = 3\n\n\n"
    "def _offset() -> int:\n    return 1\n\n\ndef base(x: float) -> float:\n    return math.floor(x) * SCALE",
    "#| export pkg.second\n#| solution shifted\nfrom __future__ import annotations\n\n\n"
    'def shifted(x: float) -> float:\n    "base(x) plus an offset."\n    ### BEGIN SOLUTION\n'
    "    return base(x) + _offset()\n    ### END SOLUTION\n\n\n"
    '__torch_namespaces__ = {"nn.functional": ["shifted"]}',
    "#| test shifted_small points=1\nassert shifted(2.5) == 7, 'shifted(2.5) should be 7'",
)


@pytest.fixture
def package_course(scratch_course):
    "The scratch course with a second module, 02_pkg, that exports two files: tinytorch/pkg/first.py and second.py."
    write_module(scratch_course / "nbs" / "02_pkg.ipynb", *PACKAGE_CELLS)
    return scratch_course


def test_a_module_with_two_export_targets(package_course, tmp_path):
    "A notebook's cells may go to several files of its module: the course tooling handles them everywhere."
    assert build(package_course) == ["01_double", "02_pkg"]
    lib = package_course / "tinytorch"
    first, second = (lib / "pkg" / "first.py").read_text(), (lib / "pkg" / "second.py").read_text()
    assert "def base" in first and "def shifted" not in first and "BEGIN" not in second
    assert "from .first import SCALE" not in second  # only the names second.py uses
    assert "from .first import _offset, base" in second
    assert not (lib / "pkg.py").exists()
    assert exported_names(lib, "pkg") == ["SCALE", "base", "shifted"]  # the generated pkg/__init__.py
    init = (lib / "__init__.py").read_text()
    assert "from .pkg import *" in init and "from . import nn" in init
    probe = ("import tinytorch as tt\nfrom tinytorch.pkg import second\n"
             "print(tt.shifted(2.5), tt.base(2.5), second.shifted is tt.nn.functional.shifted)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(package_course), "PATH": "/usr/bin:/bin"}, cwd="/")
    assert out.stdout.split() == ["7", "6", "True"]
    # grading 02_pkg: the library holds 01's file only; grading a later module: both of 02's files
    exports = module_exports(package_course / "nbs")
    assert [e.files for e in exports] == [("double",), ("pkg.first", "pkg.second")]
    before = prefix_library(lib, exports[:1], tmp_path / "grading02") / "tinytorch"
    assert sorted(str(p.relative_to(before)) for p in before.rglob("*.py")) == ["__init__.py", "double.py"]
    after = prefix_library(lib, exports, tmp_path / "grading03") / "tinytorch"
    assert {"pkg/first.py", "pkg/second.py", "pkg/__init__.py", "nn/__init__.py", "nn/functional.py"} <= {
        str(p.relative_to(after)) for p in after.rglob("*.py")}
    # the release stubs the solution in pkg/second.py; a student's build counts the stubs per module
    release = package_course / "release"
    student = tmp_path / "student"
    for module in ("01_double", "02_pkg"):
        (student / module).mkdir(parents=True)
        shutil.copy2(release / module / f"{module}.ipynb", student / module / f"{module}.ipynb")
    from course import student as student_workflow

    assert student_workflow.build(student) == {"double": 1, "pkg": 1}
    # a changed file inside the package makes the committed build stale
    assert stale_files(package_course) == []
    (lib / "pkg" / "second.py").write_text(second + "\n# edited by hand\n")
    assert stale_files(package_course) == ["tinytorch/pkg/second.py: differs from a fresh build"]
    stats = module_stats(package_course / "nbs" / "02_pkg.ipynb")
    assert (stats.exported, stats.written) == (12, 1)  # 7 + 5 non-blank lines; the return line is written


BAD_EXPORTS = {
    "plain export in a package": (("#| default_exp pkg", "#| export pkg.first\nx = 1", "#| export\ny = 2"),
                                  r"cell 3: this notebook exports to submodules of 'pkg' \(a package\), so each "
                                  r"'#\| export' names its file"),
    "target outside the module": (("#| default_exp pkg", "#| export other.first\nx = 1"),
                                  r"cell 2: '#\| export other.first': a cell exports to its notebook's module 'pkg'"),
    "two targets": (("#| default_exp pkg", "#| export pkg.a pkg.b\nx = 1"),
                    r"cell 2: '#\| export' takes at most one target, got pkg.a pkg.b"),
    "name from a cell that is not exported": (("#| default_exp pkg", "SCALE = 2",
                                               "#| export\ndef f(x):\n    return SCALE * x"),
                                              r"tinytorch/pkg.py uses 'SCALE', which no exported cell defines or imports"),
    "future import after code": (("#| default_exp pkg", "#| export pkg.a\nx = 1",
                                  "#| export pkg.a\nfrom __future__ import annotations"),
                                 r"exported code does not parse: from __future__ imports must occur at the beginning"),
    "files importing each other": (("#| default_exp pkg", "#| export pkg.a\ndef f():\n    return g()",
                                    "#| export pkg.b\ndef g():\n    return f()"),
                                   r"exported files would import each other in a cycle: pkg.a → pkg.b → pkg.a"),
}


@pytest.mark.parametrize("case", sorted(BAD_EXPORTS))
def test_bad_export_targets_are_refused(scratch_course, case):
    cells, message = BAD_EXPORTS[case]
    write_module(scratch_course / "nbs" / "02_pkg.ipynb", *cells)
    with pytest.raises(NotebookError, match=message):
        build(scratch_course)
    # the export checks the files it wrote; the cells' own checks stop the build before anything is written
    assert not (scratch_course / "tinytorch").exists() or case in ("name from a cell that is not exported",
                                                                     "files importing each other",
                                                                     "future import after code")


def test_a_failing_generate_assignment_is_one_line_with_nbgrader_s_reason(tmp_path):
    "The build and grading from a fresh clone share generate_assignments and its one-line error."
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    shutil.copy2(ROOT / "nbgrader_config.py", tmp_path)
    meta = {"nbgrader": {"grade": True, "solution": False, "locked": True, "grade_id": "same", "points": 1,
                         "schema_version": 3}}
    nb = new_notebook(cells=[new_code_cell("assert True", metadata=meta), new_code_cell("assert 1", metadata=meta)])
    (tmp_path / "source" / "01_x").mkdir(parents=True)
    nbformat.write(nb, str(tmp_path / "source" / "01_x" / "01_x.ipynb"))
    with pytest.raises(RuntimeError) as failed:
        generate_assignments(tmp_path, ["01_x"])
    assert str(failed.value) == ("nbgrader generate_assignment 01_x failed: ValidationError: Notebook failed to "
                                 "validate; the nbgrader metadata may be corrupted.")


def test_torch_namespace_declarations_are_checked(tmp_path):
    (tmp_path / "m.py").write_text('__all__ = ["f"]\n__torch_namespaces__ = {"nn": ["f", "g"]}\n')
    with pytest.raises(ValueError, match="m: __torch_namespaces__ puts 'g' in 'nn', but the file does not export it"):
        write_namespaces(tmp_path, ["m"])
    (tmp_path / "m.py").write_text('__all__ = ["f"]\n__torch_namespaces__ = {"nn.functional": ["f"]}\n')
    assert write_namespaces(tmp_path, ["m"]) == ["nn"]
    assert "from ..m import f" in (tmp_path / "nn" / "functional.py").read_text()


def test_stats_command_prints_the_share_students_write():
    out = subprocess.run([sys.executable, "-m", "course", "stats"], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:]}
    assert set(MODULES) | {"all"} <= set(rows)
    for module in MODULES:
        stats = module_stats(ROOT / "nbs" / f"{module}.ipynb")
        assert rows[module] == [f"{stats.exported:,}", f"{stats.written:,}", f"{stats.share:.1%}"]
    assert module_stats(ROOT / "nbs" / "19_benchmarking.ipynb").share > 0.09  # 2.7 % before issue 10


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
    """Every non-blank line of the library comes from an #| export cell (no test or widget code);
    besides, only what the export generates: `__all__`, the imports between the files of one
    notebook, and the `__init__` and namespace files."""
    exported = set()
    for nb_path in module_notebooks(ROOT / "nbs"):
        nb = read_notebook(nb_path)
        for cell, role in zip(nb.cells, cell_roles(nb, nb_path)):
            if role is not None and role.exported:
                exported.update(line.rstrip() for line in cell.source.splitlines())
    # nbdev writes imports of the library relative: `from tinytorch.tensor` → `from .tensor` (`from ..tensor`
    # in a package's file), `from tinytorch import layers` → `from . import layers`
    exported |= {re.sub(r"^(\s*)from tinytorch(\.| import )", lambda m: f"{m[1]}from {dots}{'' if m[2] == '.' else ' import '}", line)
                 for line in exported for dots in (".", "..")}
    checked = 0
    for path in (ROOT / "tinytorch").rglob("*.py"):
        text = path.read_text()
        if "Generated by `python -m course export`" in text:
            continue  # __init__ files and PyTorch namespaces, made by the export
        code = re.sub(r"^__all__ = \[.*?\]\n", "", text, flags=re.M | re.S)
        code = re.sub(r"^# Names from the other files of .*?\n(from \.\w+ import [\w, ]+\n)+", "", code, flags=re.M)
        for line in code.splitlines():
            if line.strip() and not line.startswith(("# %%", "# AUTOGENERATED")):
                assert line.rstrip() in exported, f"{path.relative_to(ROOT)}: {line!r} is not from an export cell"
        checked += 1
    assert checked >= len(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_release_has_stubs_and_no_secrets(module):
    source = read_notebook(ROOT / "source" / module / f"{module}.ipynb")
    release_text = (ROOT / "release" / module / f"{module}.ipynb").read_text()
    release = read_notebook(ROOT / "release" / module / f"{module}.ipynb")
    for marker in MARKERS:
        assert marker not in release_text
    region_lines = {line for c in source.cells for line in hidden_lines(c.source) + solution_lines(c.source)}
    public = {line for c in source.cells for line in public_lines(c.source)}
    secret = region_lines - public
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
    "`pip install .` gets the whole package: every file of tinytorch/ (packages, namespaces, data), not only the flat modules."
    import zipfile

    source = tmp_path / "source"  # built from a copy: setuptools writes build/ and *.egg-info next to it
    shutil.copytree(ROOT / "tinytorch", source / "tinytorch", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", source / "pyproject.toml")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), str(source)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("tinytorch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    package = {str(p.relative_to(ROOT)) for p in (ROOT / "tinytorch").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert {"tinytorch/nn/functional.py", "tinytorch/data/digits.npz", "tinytorch/benchmarking/__init__.py",
            "tinytorch/benchmarking/profiler.py"} <= package
    assert package <= names, f"missing from the wheel: {sorted(package - names)}"
