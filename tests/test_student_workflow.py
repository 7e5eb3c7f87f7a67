"""The student's side: a filled-in release exports a working library of their own, which later
modules import instead of the reference; an untouched release still builds and says what is left."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from course import ROOT, demo
from course.build import write_notebook
from course.student import lab_command
from course.notebooks import module_notebooks

MODULES = [p.stem for p in module_notebooks(ROOT / "nbs")]


def run_course(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "course", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT)


@pytest.fixture
def student_folder(tmp_path):
    "A student's course folder with every release notebook filled in (the reference answers)."
    for module in MODULES:
        write_notebook(demo.reference_submission(ROOT, module), tmp_path / module / f"{module}.ipynb")
    return tmp_path


def test_filled_in_release_exports_a_working_library(student_folder, tmp_path_factory):
    result = run_course("student", "build", str(student_folder), cwd=tmp_path_factory.mktemp("elsewhere"))
    assert result.returncode == 0, result.stderr
    assert "complete" in result.stdout
    library = student_folder / "tinytorch"
    assert (library / "__init__.py").exists()
    probe = ("import json, tinytorch as tt\n"
             "t = tt.Tensor([[1.0, 2.0], [3.0, 4.0]])\n"
             "print(json.dumps({'file': tt.__file__, 'sum': float((t @ t).sum().item())}))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(student_folder), "PATH": "/usr/bin:/bin"}, cwd="/")
    info = json.loads(out.stdout)
    assert info["file"].startswith(str(library))  # the student's library, not the reference
    assert info["sum"] == 54.0


def test_untouched_release_builds_and_lists_what_is_left(tmp_path):
    for module in MODULES:
        (tmp_path / module).mkdir()
        (tmp_path / module / f"{module}.ipynb").write_bytes((ROOT / "release" / module / f"{module}.ipynb").read_bytes())
    result = run_course("student", "build", str(tmp_path))
    assert result.returncode == 0, result.stderr
    # every module has something left, 01 included (its answers are not exported to the library)
    assert len(re.findall(r"^  \w+ +\d+ part\(s\) still raise NotImplementedError$", result.stdout, re.M)) == len(MODULES), result.stdout
    assert re.search(r"^  setup +\d+ part", result.stdout, re.M) and "complete" not in result.stdout


def test_student_build_of_an_empty_folder_says_what_is_missing(tmp_path):
    result = run_course("student", "build", str(tmp_path))
    assert result.returncode == 2
    assert "no module notebooks (NN_name/NN_name.ipynb)" in result.stderr


def test_student_lab_puts_the_students_library_first(student_folder):
    argv, env = lab_command(student_folder)
    assert argv[1:] == ["lab", f"--notebook-dir={student_folder.resolve()}"]
    assert env["PYTHONPATH"] == str(student_folder.resolve())
    probe = "import tinytorch.tensor as _, sys; print(sys.modules['tinytorch'].__file__)"
    subprocess.run([sys.executable, "-m", "course", "student", "build", str(student_folder)], check=True,
                   capture_output=True, cwd=ROOT)
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True, cwd="/")
    assert out.stdout.startswith(str(student_folder.resolve()))  # not the reference in the repository


def test_student_lab_passes_jupyter_options_through(student_folder):
    argv, _ = lab_command(student_folder, ["--allow-root", "--port", "8890"])
    assert argv[1:] == ["lab", f"--notebook-dir={student_folder.resolve()}", "--allow-root", "--port", "8890"]
    result = run_course("check", "--allow-root")  # only `student lab` takes JupyterLab's options
    assert result.returncode == 2 and "unrecognized arguments: --allow-root" in result.stderr
