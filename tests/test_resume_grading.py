"""Resumable, incremental grading for real (`python -m course grade` on a class of three 01_setup
submissions in a copy of the course): unchanged submissions are not graded again, a changed one is,
`--regrade` grades all, feedback is regenerated only for what was graded, and a grader stopped part
way (Ctrl-C, then SIGKILL of the resumed run) leaves no process behind and resumes with only what
was left.

Kept small on purpose (CI time): the committed source/ and release/ are graded as they are (no
build), three students, and one kill test that interrupts twice."""
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
from course.build import write_notebook
from tests.conftest import copy_course

pytestmark = pytest.mark.slow
MODULE = "01_setup"
STUDENTS = ("hidden_bug", "reference", "slow")
GRADED_LINE = re.compile(rf"^\[\s*\d+/\d+\] {MODULE}\s+(\w+)", re.MULTILINE)


@pytest.fixture
def course_root(tmp_path, monkeypatch):
    root = copy_course(tmp_path)
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
    assert graded_now(out) == ["hidden_bug"] and "2 submission(s) unchanged" in out
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


def stop_after(grade: list[str], records: Path, count: int, how: signal.Signals) -> str:
    """Run `grade`, send it `how` once `count` submissions are recorded as graded, check that it
    stopped as it should and left no process behind; its output."""
    # Ctrl-C's default action, even where this test runs with SIGINT ignored (a pytest-xdist worker):
    # a process started with SIGINT ignored keeps ignoring it, as POSIX shells expect.
    grader = subprocess.Popen(grade, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 600
    while len(list(records.glob("*.json"))) < count and grader.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert grader.poll() is None, grader.communicate()[0]
    grader.send_signal(how)
    out = grader.communicate(timeout=60)[0]
    assert grader.returncode == (-9 if how == signal.SIGKILL else 130), out
    time.sleep(1)
    assert grading_processes(records.parents[2]) == []  # nbgrader and the sandbox died with the grader
    return out


def test_a_stopped_grader_resumes_with_what_was_left(course_root):
    """Ctrl-C after the first submission, SIGKILL of the resumed run after the second: each run
    grades only what the ones before it left, and the last one finishes the class."""
    root = course_root
    grade = [sys.executable, "-c", "import sys; from pathlib import Path; import course.__main__ as cli; "
             "cli.ROOT = Path(sys.argv[1]); sys.exit(cli.main(sys.argv[2:]))", str(root),
             "grade", "--module", MODULE, "--jobs", "1"]
    records = root / ".build" / "logs" / MODULE
    out = stop_after(grade, records, 1, signal.SIGINT)
    assert "interrupted: what was fully graded is recorded" in out
    first = sorted(p.stem for p in records.glob("*.json"))
    assert len(first) == 1, first

    out = stop_after(grade, records, 2, signal.SIGKILL)
    assert "1 submission(s) unchanged" in out and first[0] not in graded_now(out), out
    finished = sorted(p.stem for p in records.glob("*.json"))
    assert len(finished) == 2 and set(first) < set(finished), finished

    again = subprocess.run(grade, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "2 submission(s) unchanged" in again.stdout
    assert graded_now(again.stdout) == sorted(set(STUDENTS) - set(finished))
    assert all((root / "feedback" / s / MODULE / f"{MODULE}.html").exists() for s in STUDENTS)
