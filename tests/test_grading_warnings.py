"""nbgrader's autograde on untouched notebooks is quiet: no "checksum has changed" for cells whose
hidden tests the release removed (course/grading/overwrite.py), no "root is not absolute"; an edited
locked cell is still reported and put back."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course.build import nbgrader_api
from course.grading.overwrite import released_source
from tests.conftest import copy_course

MODULE = "01_setup"


def test_released_source_is_what_the_release_shows():
    source = "# Hidden tests\nx = 1\n### BEGIN HIDDEN TESTS\nassert x == 1\n### END HIDDEN TESTS\nprint(x)"
    assert released_source(source) == "# Hidden tests\nx = 1\nprint(x)"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = copy_course(tmp_path_factory.mktemp("course"))
    assert nbgrader_api(root).generate_assignment(MODULE, force=True)["success"]
    return root


def autograde_log(root: Path, student: str, edit=None) -> str:
    notebook = root / "submitted" / student / MODULE / f"{MODULE}.ipynb"
    notebook.parent.mkdir(parents=True)
    shutil.copy(root / "release" / MODULE / f"{MODULE}.ipynb", notebook)
    if edit:
        nb = nbformat.read(notebook, as_version=4)
        edit(nb)
        nbformat.write(nb, notebook)
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run([str(bin_dir / "nbgrader"), "autograde", MODULE, "--student", student], cwd=root,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_untouched_notebook_grades_without_warnings(course):
    log = autograde_log(course, "untouched")
    assert "has changed" not in log and "is not absolute" not in log, log
    graded = nbformat.read(course / "autograded" / "untouched" / MODULE / f"{MODULE}.ipynb", as_version=4)
    assert any("### BEGIN HIDDEN TESTS" in c.source for c in graded.cells)  # hidden tests were run


def test_an_edited_locked_cell_is_still_reported(course):
    def edit(nb):
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "dot_loop_edge_cases")
        cell.source = "pass  # the student emptied the test (which has hidden tests)"
    log = autograde_log(course, "editor", edit)
    assert "Attribute 'checksum' for cell dot_loop_edge_cases has changed" in log and log.count("has changed") == 1, log
