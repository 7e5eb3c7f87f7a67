"""The student kit as a student gets it: built by `python -m course kit`, installed into a fresh
virtual environment, and driven through `tito` end to end. Nothing secret is in it, no reference
library is importable from it, and what `tito submit` writes is graded by the instructor's tools.

The student's venv gets the kit's wheel with `--no-deps --no-index` and finds the toolchain through
a .pth to this venv's site-packages (a path entry only: .pth files there are not processed, so the
repository's course link does not come along): offline and fast."""
from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from course import ROOT, demo
from course.build import write_notebook
from course.kit import checkpoint_file, secret_lines
from course.notebooks import MARKERS, module_notebooks, read_notebook
from tests.conftest import copy_course

pytestmark = pytest.mark.slow
MODULES = [p.stem for p in module_notebooks(ROOT / "nbs")]
DONE = ("01_setup", "02_tensor")  # the modules our student completes


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "course", "kit", "--out", str(out)], capture_output=True,
                            text=True, cwd=tmp_path_factory.mktemp("elsewhere"))
    assert result.returncode == 0, result.stderr
    assert f"pip install {next(out.glob('*.whl')).name}" in result.stdout
    return out / "tinytorch-kit", next(out.glob("*.whl"))


@pytest.fixture(scope="module")
def student(kit, tmp_path_factory):
    "Runs tito (or the venv's python) in a fresh venv holding only the kit and the toolchain."
    home = tmp_path_factory.mktemp("student")
    venv = home / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "toolchain.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet",
                    "--no-deps", "--no-index", "--disable-pip-version-check", str(kit[1])], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP", "VIRTUAL_ENV")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}/usr/bin:/bin", HOME=str(home))

    def run(program: str, *args: str, cwd: Path = home) -> subprocess.CompletedProcess:
        return subprocess.run([str(venv / "bin" / program), *args], capture_output=True, text=True, env=env,
                              cwd=cwd, timeout=300)

    run.home = home
    return run


@pytest.fixture(scope="module")
def work(student) -> Path:
    "The student's work folder after `tito init`."
    result = student("tito", "init", "my-course", "--student", "alice")
    assert result.returncode == 0, result.stdout + result.stderr
    return student.home / "my-course"


def _texts_in(kit) -> dict[str, list[str]]:
    "Every file of the kit's folder and wheel → its lines (a notebook's: its cells' source lines)."
    tree, wheel = kit
    files = {str(p.relative_to(tree)): p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    with zipfile.ZipFile(wheel) as archive:
        files.update({f"{wheel.name}:{name}": archive.read(name) for name in archive.namelist()})
    texts = {}
    for name, data in files.items():
        text = data.decode("utf-8", errors="replace")
        if name.endswith(".ipynb"):
            text = "\n".join("".join(cell["source"]) for cell in json.loads(text)["cells"])
        texts[name] = text.splitlines()
    return texts


def test_kit_holds_no_solution_no_hidden_test_and_no_reference_library(kit):
    secrets = secret_lines(ROOT)
    assert len(secrets) > 500, "the scan has nothing to look for"
    texts = _texts_in(kit)
    assert any(name.endswith("release/02_tensor/02_tensor.ipynb") for name in texts)
    for name, lines in texts.items():
        if "_course/" not in name:  # the exporter names the markers to strip them; nothing else may
            assert not any(marker in line for line in lines for marker in MARKERS), f"{name} has a grading marker"
        leaked = {line.strip() for line in lines} & secrets
        assert not leaked, f"{name} holds solution or hidden-test lines: {sorted(leaked)[:3]}"
        parts = Path(name.split(":")[-1]).parts
        assert "tinytorch" not in parts[:2] and "source" not in parts and "grading" not in parts, name
    wheel_names = [n for n in texts if ":" in n]
    assert any(n.endswith("entry_points.txt") for n in wheel_names)
    assert not any(":tinytorch/" in n or ":course/" in n for n in wheel_names)


def test_every_module_declares_its_checkpoint():
    for notebook in module_notebooks(ROOT / "nbs"):
        text = checkpoint_file(notebook).read_text()
        assert re.search(r"^CAPABILITY = ", text, re.M) and re.search(r"^LIMIT = ", text, re.M), notebook.name
        assert re.search(r"^def check_\w+\(\):", text, re.M), f"{notebook.name}: a checkpoint without steps"


def test_no_reference_code_is_importable_for_the_student(student, work):
    for cwd in (student.home, work, work / "02_tensor"):
        for name in ("tinytorch", "course"):
            result = student("python", "-c", f"import {name}", cwd=cwd)
            assert f"No module named '{name}'" in result.stderr, (cwd, name, result.stderr)


def test_untouched_kit_status_and_next(student, work):
    result = student("tito", "status", cwd=work)
    assert result.returncode == 0, result.stderr
    for module in MODULES:
        assert re.search(rf"^{module} +\d+ +not run +- \w", result.stdout, re.M), result.stdout
    result = student("tito", "next", cwd=work / "02_tensor")  # found from inside the work folder
    assert "next: 01_setup" in result.stdout and "where the course starts" in result.stdout
    outside = student("tito", "status", cwd=student.home)
    assert outside.returncode == 2 and "run `tito init [FOLDER]` first" in outside.stdout


def test_completed_modules_pass_their_tests_and_checkpoints(student, work):
    for module in DONE:
        write_notebook(demo.reference_submission(ROOT, module), work / module / f"{module}.ipynb")
    for module in DONE:
        result = student("tito", "test", module[:2], cwd=work)
        assert result.returncode == 0, result.stdout + result.stderr
        passed = re.search(rf"^{module}: (\d+)/(\d+) visible tests pass", result.stdout, re.M)
        assert passed and passed[1] == passed[2] and int(passed[1]) >= 4, result.stdout
    result = student("tito", "test", "3", cwd=work)  # untouched: every test names its stub
    assert result.returncode == 1 and "NotImplementedError: relu() is still a stub" in result.stdout, result.stdout
    result = student("tito", "checkpoint", cwd=work)  # every module, in order
    assert result.returncode == 1 and f"2/{len(MODULES)} checkpoint(s) reached" in result.stdout, result.stdout
    assert "02_tensor: checkpoint reached: tensors match NumPy" in result.stdout, result.stdout
    assert "03_activations: not yet: 13 part(s) still raise NotImplementedError" in result.stdout
    status = student("tito", "status", cwd=work).stdout
    print(status)
    assert re.search(r"^02_tensor +none +\d+/\d+ pass +✓ tensors match NumPy", status, re.M), status
    assert re.search(r"^01_setup +none +4/4 pass +✓ ", status, re.M), status
    result = student("tito", "next", cwd=work)
    assert "next: 03_activations" in result.stdout and "03 builds the nonlinear activations" in result.stdout
    # the checkpoint ran the student's own library: exported into the work folder
    probe = student("python", "-c", "import tinytorch; print(tinytorch.__file__)", cwd=work)
    assert probe.stdout.startswith(str(work / "tinytorch")), probe.stdout + probe.stderr


@contextmanager
def notebook_replaced(path: Path, nb):
    "The student's notebook at `path` replaced by `nb` for the block, then put back byte for byte."
    saved = path.read_bytes()
    try:
        write_notebook(nb, path)
        yield
    finally:
        path.write_bytes(saved)

def test_checkpoint_fails_on_a_wrong_library(student, work, tmp_path):
    "A checkpoint runs the student's code: a wrong matmul is caught with its message."
    nb = demo.reference_submission(ROOT, "02_tensor")
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "matmul":
            assert "return _wrap(a @ b)" in cell.source
            cell.source = cell.source.replace("return _wrap(a @ b)", "return _wrap(a @ b + 1)")
    with notebook_replaced(work / "02_tensor" / "02_tensor.ipynb", nb):
        result = student("tito", "checkpoint", "02", cwd=work)
        assert result.returncode == 1 and "checkpoint not reached" in result.stdout, result.stdout


def test_lab_passes_options_through(student, work):
    result = student("tito", "lab", "--dry-run", "--allow-root", "--port", "8899", cwd=work)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-5:] == ["lab", f"--notebook-dir={work}", "--allow-root", "--port", "8899"]


def test_submit_refuses_a_deleted_test_cell(student, work):
    path = work / "01_setup" / "01_setup.ipynb"
    nb = read_notebook(path)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "dot_loop_basic"]
    with notebook_replaced(path, nb):
        result = student("tito", "submit", "01", cwd=work)
        assert result.returncode == 1 and "test cell 'dot_loop_basic' was deleted" in result.stdout, result.stdout


def test_submitted_zip_is_graded_by_the_instructors_tools(student, work, tmp_path):
    result = student("tito", "submit", "02", cwd=work)
    assert result.returncode == 0, result.stdout + result.stderr
    archive = work / "submissions" / "alice-02_tensor.zip"
    with zipfile.ZipFile(archive) as z:
        assert z.namelist() == ["alice/02_tensor/02_tensor.ipynb"]
    # the instructor: a course folder (a copy of this one), the zip unpacked into submitted/, then grade
    course = copy_course(tmp_path)
    shutil.copytree(ROOT / "course", course / "course", ignore=shutil.ignore_patterns("__pycache__"))
    with zipfile.ZipFile(archive) as z:
        z.extractall(course / "submitted")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    bin_dir = Path(sys.executable).parent
    subprocess.run([bin_dir / "nbgrader", "generate_assignment", "02_tensor", "--force"], cwd=course, env=env,
                   check=True, capture_output=True)
    graded = subprocess.run([sys.executable, "-m", "course", "grade", "--module", "02_tensor", "--student", "alice"],
                            cwd=course, env=env, capture_output=True, text=True, timeout=600)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    row = re.search(r"^alice +(\d+)/(\d+) (\d+)/(\d+) (\d+)/(\d+)", graded.stdout, re.M)
    assert row, graded.stdout
    visible, hidden = row.group(1, 2), row.group(3, 4)
    assert visible[0] == visible[1] and hidden[0] == hidden[1], graded.stdout  # the reference answers, full marks


def test_a_kernel_that_dies_is_reported_with_its_cell(student, work):
    path = work / "01_setup" / "01_setup.ipynb"
    nb = read_notebook(path)
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "dot_loop")
    nb.cells[index].source += "\nimport os; os._exit(3)"
    with notebook_replaced(path, nb):
        result = student("tito", "test", "01", cwd=work)
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"the kernel died while running cell {index + 1} ('dot_loop')" in result.stdout, result.stdout


def test_a_truncated_notebook_is_named(student, work):
    path = work / "05_losses" / "05_losses.ipynb"
    saved = path.read_bytes()
    try:
        path.write_bytes(saved[: len(saved) // 2])
        status = student("tito", "status", cwd=work)
        assert status.returncode == 1 and re.search(r"^05_losses +unreadable", status.stdout, re.M), status.stdout
        assert f"error: {path}: not valid notebook JSON" in status.stdout, status.stdout
        result = student("tito", "test", "05", cwd=work)
        assert result.returncode == 1 and f"error: {path}: not valid notebook JSON" in result.stdout, result.stdout
    finally:
        path.write_bytes(saved)


@pytest.mark.parametrize("module", MODULES)
def test_checkpoint_is_reached_by_the_reference_library(module):
    "Each module's checkpoint passes on the reference (run as tito runs it: a fresh process, JSON lines)."
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "kit"), str(ROOT)]))
    result = subprocess.run([sys.executable, "-m", "tito.runner", str(checkpoint_file(ROOT / "nbs" / f"{module}.ipynb"))],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    steps = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0 and steps and all(step["passed"] for step in steps), result.stdout + result.stderr


def test_kit_requirements_cover_every_import_of_the_material():
    """What the release notebooks and checkpoints import is in the standard library, in the kit
    itself, or installed by the kit's requirements (directly or as their dependencies): the
    student's venv in the tests above borrows this venv's packages, so it would not notice."""
    from importlib import metadata

    from course.kit import requirements

    def closure(names: list[str]) -> set[str]:
        seen, todo = set(), [n.lower().replace("_", "-") for n in names]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            try:
                requires = metadata.requires(name) or []
            except metadata.PackageNotFoundError:  # a dependency for other platforms or Pythons
                continue
            for req in requires:
                if "extra ==" not in req:
                    todo.append(re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0].lower().replace("_", "-"))
        return seen

    installed = closure([re.split(r"[<>=!~\[ ]", r, maxsplit=1)[0] for r in requirements(ROOT)])
    providers = metadata.packages_distributions()
    sources = [p for p in (ROOT / "release").glob("*/*.ipynb")] + list((ROOT / "nbs").glob("*.checkpoint.py"))
    missing = {}
    for path in sources:
        text = (path.read_text() if path.suffix == ".py" else
                "\n".join("".join(c["source"]) for c in read_notebook(path).cells if c.cell_type == "code"))
        tree = ast.parse(re.sub(r"^\s*[%!].*$", "", text, flags=re.M))  # IPython magics out
        names = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
        names |= {node.module.split(".")[0] for node in ast.walk(tree)
                  if isinstance(node, ast.ImportFrom) and node.level == 0}
        for name in names:
            if name in sys.stdlib_module_names or name in ("tinytorch", "tito"):
                continue
            dists = {d.lower().replace("_", "-") for d in providers.get(name, [])}
            if not dists & installed:
                missing.setdefault(name, set()).add(path.name)
    assert not missing, f"imported by the course material but not installed by the kit: {missing}"
