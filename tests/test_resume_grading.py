"""Resumable, incremental grading for real (`python -m course grade` on a small class of 01_setup
in a copy of the course): unchanged submissions are not graded again, a changed one is, `--regrade`
grades all, feedback is regenerated only for what was graded, and a grader killed part way
(SIGKILL or Ctrl-C) leaves no process behind and resumes with only what was left."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

import course.__main__ as cli
from course import demo
from course.build import build, write_notebook
from tests.conftest import copy_course

pytestmark = pytest.mark.slow
MODULE = "01_setup"
STUDENTS = ("hidden_bug", "reference", "slow", "untouched")
GRADED_LINE = re.compile(rf"^\[\s*\d+/\d+\] {MODULE}\s+(\w+)", re.MULTILINE)


@pytest.fixture
def course_root(tmp_path, monkeypatch):
    root = copy_course(tmp_path)
    build(root)
    demo.make_submissions(root, [MODULE])
    for folder in (root / "submitted").iterdir():
        if folder.name not in STUDENTS:
            shutil.rmtree(folder)
    monkeypatch.setattr(cli, "ROOT", root)
    return root


def graded_now(out: str) -> list[str]:
    "The students whose progress line `grade` printed (those graded in that run)."
    return sorted(GRADED_LINE.findall(out))


def mtimes(root: Path, folder: str, suffix: str) -> dict[str, int]:
    return {s: (root / folder / s / MODULE / f"{MODULE}{suffix}").stat().st_mtime_ns for s in STUDENTS}


def test_only_changed_submissions_are_graded_again(course_root, capsys):
    root = course_root
    assert cli.main(["grade", "--module", MODULE, "--jobs", "2"]) == 0
    assert graded_now(capsys.readouterr().out) == sorted(STUDENTS)
    graded, feedback = mtimes(root, "autograded", ".ipynb"), mtimes(root, "feedback", ".html")
    record = json.loads((root / ".build" / "logs" / MODULE / "reference.json").read_text())
    assert len(record["submission_sha256"]) == len(record["course_sha256"]) == 64

    assert cli.main(["grade", "--module", MODULE]) == 0
    out = capsys.readouterr().out
    assert graded_now(out) == [] and f"{len(STUDENTS)} submission(s) unchanged" in out
    assert mtimes(root, "autograded", ".ipynb") == graded and mtimes(root, "feedback", ".html") == feedback
    assert "hidden_bug " in out  # the table still lists everyone

    # hidden_bug resubmits the reference solution: only that submission is graded, and its feedback made
    write_notebook(demo.submission(root, MODULE, "reference"), root / "submitted" / "hidden_bug" / MODULE / f"{MODULE}.ipynb")
    assert cli.main(["grade", "--module", MODULE]) == 0
    out = capsys.readouterr().out
    assert graded_now(out) == ["hidden_bug"] and "3 submission(s) unchanged" in out
    after, pages = mtimes(root, "autograded", ".ipynb"), mtimes(root, "feedback", ".html")
    assert [s for s in STUDENTS if after[s] != graded[s]] == ["hidden_bug"]
    assert [s for s in STUDENTS if pages[s] != feedback[s]] == ["hidden_bug"]
    row = next(line for line in out.splitlines() if line.startswith("hidden_bug "))
    assert row.split()[1:] == next(line for line in out.splitlines() if line.startswith("reference ")).split()[1:]

    assert cli.main(["grade", "--module", MODULE, "--student", "slow", "--regrade"]) == 0
    assert graded_now(capsys.readouterr().out) == ["slow"]
    # a change to what grades the module (its tests) grades everyone again
    source = root / "source" / MODULE / f"{MODULE}.ipynb"
    source.write_text(source.read_text() + "\n")
    assert cli.main(["grade", "--module", MODULE]) == 0
    assert graded_now(capsys.readouterr().out) == sorted(STUDENTS)


def grading_processes(root: Path) -> list[psutil.Process]:
    "nbgrader and sandbox processes working on this course."
    found = []
    for process in psutil.process_iter(["cmdline", "cwd"]):
        try:
            if process.info["cwd"] == str(root) and process.pid != os.getpid():
                found.append(process)
        except psutil.Error:
            pass
    return found


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_a_killed_grader_resumes_with_what_was_left(course_root, how):
    root = course_root
    grade = [sys.executable, "-c", "import sys; from pathlib import Path; import course.__main__ as cli; "
             "cli.ROOT = Path(sys.argv[1]); sys.exit(cli.main(sys.argv[2:]))", str(root),
             "grade", "--module", MODULE, "--jobs", "1"]
    records = root / ".build" / "logs" / MODULE
    grader = subprocess.Popen(grade, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 600
    while len(list(records.glob("*.json"))) < 2 and grader.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert grader.poll() is None, grader.communicate()[0]
    grader.send_signal(how)
    out = grader.communicate(timeout=60)[0]
    assert grader.returncode == (-9 if how == signal.SIGKILL else 130), out
    if how == signal.SIGINT:
        assert "interrupted: what was fully graded is recorded" in out
    time.sleep(1)
    assert grading_processes(root) == []  # nbgrader and the sandbox died with the grader
    finished = sorted(p.stem for p in records.glob("*.json"))
    assert 2 <= len(finished) < len(STUDENTS)

    again = subprocess.run(grade, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{len(finished)} submission(s) unchanged" in again.stdout
    assert graded_now(again.stdout) == sorted(set(STUDENTS) - set(finished))
    assert all((root / "feedback" / s / MODULE / f"{MODULE}.html").exists() for s in STUDENTS)
