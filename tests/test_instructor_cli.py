"""The instructor's `python -m course grade|report` on bad input: each mistake gets one specific
message and the documented exit code (0 all graded, 1 some submission failed or nothing graded,
2 usage error), before anything is graded."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import course.__main__ as cli
from course import ROOT
from course.grading.feedback import error_message
from course.grading.report import ModuleResult, failure_reason, failures, grade_table, grader

MODULE = "01_setup"


@pytest.fixture
def course_root(tmp_path, monkeypatch):
    "A course folder with the real nbs/ and source/ and an empty submitted/; the CLI works on it."
    for folder in ("nbs", "source"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "submitted").mkdir()
    monkeypatch.setattr(cli, "ROOT", tmp_path)
    return tmp_path


def submit(root: Path, student: str, module: str = MODULE, name: str | None = None) -> Path:
    path = root / "submitted" / student / module / (name or f"{module}.ipynb")
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "release" / module / f"{module}.ipynb", path)
    return path


@pytest.mark.parametrize("command", ["grade", "report"])
def test_unknown_module_is_a_usage_error_listing_the_modules(course_root, command, capsys):
    submit(course_root, "alice")
    assert cli.main([command, "--module", "99_nope"]) == 2
    err = capsys.readouterr().err
    assert "no module '99_nope' in this course" in err and "02_tensor" in err and "Traceback" not in err


def test_a_close_module_name_is_suggested(course_root, capsys):
    submit(course_root, "alice")
    assert cli.main(["report", "--module", "02_tensr"]) == 2
    assert "did you mean 02_tensor?" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["grade", "report"])
def test_a_student_who_submitted_nothing_is_named(course_root, command, capsys):
    submit(course_root, "alice")
    assert cli.main([command, "--student", "nobody"]) == 2
    err = capsys.readouterr().err
    assert "nobody named 'nobody' submitted anything" in err and "are alice" in err


@pytest.mark.parametrize("command", ["grade", "report"])
def test_nothing_submitted_is_one_message(course_root, command, capsys):
    assert cli.main([command]) == 1
    out, err = capsys.readouterr()
    assert err.count("nothing to grade") == 1 and "submitted/<student>/<module>/<module>.ipynb" in err
    assert out == ""


def test_nothing_submitted_for_the_module_asked_for(course_root, capsys):
    submit(course_root, "alice")
    assert cli.main(["grade", "--module", "02_tensor"]) == 1
    assert "nothing to grade: no submission of 02_tensor by alice" in capsys.readouterr().err


def test_a_misnamed_notebook_is_named_with_the_name_it_needs(course_root, capsys):
    submit(course_root, "alice", "02_tensor", "02_tensor (1).ipynb")
    submit(course_root, "bob")
    assert cli.main(["report", "--module", "02_tensor"]) == 1
    err = capsys.readouterr().err
    assert ("alice · 02_tensor · submitted/alice/02_tensor/02_tensor (1).ipynb is misnamed and was not graded: "
            "move it to submitted/alice/02_tensor/02_tensor.ipynb, then grade again") in err


def test_a_notebook_outside_its_module_folder_is_named(course_root, capsys):
    notebook = course_root / "submitted" / "alice" / "02_tensor.ipynb"
    notebook.parent.mkdir()
    shutil.copy(ROOT / "release" / "02_tensor" / "02_tensor.ipynb", notebook)
    assert cli.main(["report", "--module", "02_tensor"]) == 1
    assert ("alice · 02_tensor · submitted/alice/02_tensor.ipynb is misnamed and was not graded: "
            "move it to submitted/alice/02_tensor/02_tensor.ipynb") in capsys.readouterr().err


def test_report_of_a_submission_never_graded_exits_1_saying_what_to_run(course_root, capsys):
    submit(course_root, "alice")
    assert cli.main(["report", "--module", MODULE]) == 1
    out, err = capsys.readouterr()
    assert "NOT GRADED" in out
    assert f"alice · {MODULE} · not graded: no autograded notebook: run `python -m course grade --module {MODULE} --student alice`" in out
    assert "nothing was graded" in err


def test_modules_can_be_named_by_number(course_root, capsys):
    submit(course_root, "alice")
    assert cli.main(["report", "--module", "1"]) == 1  # found, but not graded yet
    assert MODULE in capsys.readouterr().out


def test_grader_tells_the_course_grader_from_plain_nbgrader(tmp_path):
    notebook = tmp_path / "autograded" / "alice" / MODULE / f"{MODULE}.ipynb"
    notebook.parent.mkdir(parents=True)
    notebook.write_text("{}")
    assert grader(tmp_path, MODULE, "alice", notebook) == "nbgrader"  # no record of the course's grader
    record = tmp_path / ".build" / "logs" / MODULE / "alice.json"
    record.parent.mkdir(parents=True)
    record.write_text("{}")
    assert grader(tmp_path, MODULE, "alice", notebook) == "course"
    later = record.stat().st_mtime_ns + 10**9
    os.utime(notebook, ns=(later, later))  # `nbgrader autograde` run by hand after the course's grader
    assert grader(tmp_path, MODULE, "alice", notebook) == "nbgrader"


def test_table_flags_submissions_not_graded_by_the_course_grader():
    by_course = ModuleResult(graded_by="course")
    by_hand = ModuleResult(graded_by="nbgrader")
    failed = ModuleResult(status="not graded")
    absent = ModuleResult(status="not submitted")
    results = {"a": {MODULE: by_course}, "copycat": {MODULE: by_hand}, "c": {MODULE: failed}, "d": {MODULE: absent}}
    rows = {line.split()[0]: line for line in grade_table(results, [MODULE]).splitlines()[3:]}
    assert "(plain nbgrader)" in rows["copycat"] and "(plain nbgrader)" not in rows["a"]
    assert "NOT GRADED" in rows["c"] and rows["d"].split()[1] == "-"
    assert failures(results) == 2


def student_folder(tmp_path: Path) -> Path:
    for module in (MODULE, "02_tensor"):
        shutil.copytree(ROOT / "release" / module, tmp_path / module)
    return tmp_path


def test_student_build_names_a_truncated_notebook(tmp_path, capsys):
    notebook = student_folder(tmp_path) / "02_tensor" / "02_tensor.ipynb"
    notebook.write_text(notebook.read_text()[:3000])
    assert cli.main(["student", "build", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {notebook}: not valid notebook JSON") and len(err.splitlines()) == 1


def test_student_build_names_notebook_and_cell_of_a_syntax_error(tmp_path, capsys):
    notebook = student_folder(tmp_path) / "02_tensor" / "02_tensor.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if "#| solution as_dtype" in c.source)
    nb.cells[index].source = nb.cells[index].source.replace("raise NotImplementedError()", "return (1 +")
    nbformat.write(nb, notebook)
    assert cli.main(["student", "build", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {notebook}, cell {index}: solution 'as_dtype' is not valid Python (line ")
    assert "'(' was never closed); fix it, then build again" in err and len(err.splitlines()) == 1


def test_nbgrader_writes_grades_csv_to_exports_without_root_warnings(tmp_path):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    (tmp_path / "exports").mkdir()
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run([str(bin_dir / "nbgrader"), "export"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert (tmp_path / "exports" / "grades.csv").exists() and not (tmp_path / "grades.csv").exists()
    assert "is not absolute" not in log


def test_grades_csv_is_ignored_by_git():
    result = subprocess.run(["git", "check-ignore", "exports/grades.csv", "grades.csv"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.stdout.split() == ["exports/grades.csv", "grades.csv"]


def test_a_test_hitting_a_stub_names_the_unfinished_function():
    traceback = ["\x1b[31mNotImplementedError\x1b[39m Traceback (most recent call last)",
                 "Cell \x1b[32mIn[12]\x1b[39m, line 3\n----> 3 test_eq(relu(x), y)",
                 "File \x1b[32m~/tinytorch/activations.py:14\x1b[39m, in \x1b[36mrelu\x1b[39m\x1b[34m(x)\x1b[39m\n"
                 "---> 14 raise NotImplementedError()",
                 "\x1b[31mNotImplementedError\x1b[39m: "]
    stub = nbformat.v4.new_output("error", ename="NotImplementedError", evalue="", traceback=traceback)
    assert error_message(stub) == "NotImplementedError: relu() is still a stub (# YOUR CODE HERE)"
    cell = nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\ntest_eq(relu(x), y)\n### END HIDDEN TESTS")
    cell.outputs = [stub]
    assert failure_reason(cell) == "NotImplementedError: relu() is still a stub (# YOUR CODE HERE)"
    other = nbformat.v4.new_output("error", ename="NotImplementedError", evalue="sparse tensors", traceback=traceback)
    assert error_message(other) == "NotImplementedError: sparse tensors"
    top_level = nbformat.v4.new_output("error", ename="NotImplementedError", evalue="",
                                       traceback=["Cell In[3], line 2\n----> 2 raise NotImplementedError()"])
    assert error_message(top_level) == "NotImplementedError: still a stub (# YOUR CODE HERE)"
