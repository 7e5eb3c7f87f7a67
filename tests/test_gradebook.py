"""The gradebook's URL and writes that outlast a lock (course/grading/gradebook.py), against a real
SQLite gradebook locked by a second connection, as formgrader or another grader would."""
from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from course.grading.autograde import error_summary
from course.grading.gradebook import GradebookLocked, gradebook_url, retry_locked, shown


def test_the_gradebook_url_defaults_to_the_course_gradebook_and_hides_passwords(tmp_path):
    assert gradebook_url(tmp_path) == f"sqlite:///{tmp_path / 'gradebook.db'}"
    assert gradebook_url(tmp_path, "postgresql://u@h/db") == "postgresql://u@h/db"
    assert shown("postgresql://grader:s3cret@dbhost:5432/tinytorch") == "postgresql://grader:***@dbhost:5432/tinytorch"


def add_student(url: str, student: str) -> None:
    "One real gradebook write, as the grader makes them (nbgrader's API, its own transaction)."
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        gb.update_or_create_student(student)


def students(url: str) -> list[str]:
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        return sorted(s.id for s in gb.students)


@contextmanager
def write_lock(path: Path, seconds: float | None = None):
    """A second connection holding the gradebook's write lock (BEGIN IMMEDIATE), released after
    `seconds` (by a timer) or at the end of the block."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(seconds, holder.rollback) if seconds else None
    if timer:
        timer.start()
    try:
        yield
    finally:
        if timer:
            timer.join()
        else:
            holder.rollback()
        holder.close()


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    "A gradebook with one student, made once (nbgrader creates its tables slowly)."
    folder = tmp_path_factory.mktemp("gradebook")
    add_student(gradebook_url(folder), "first")
    return folder / "gradebook.db"


@pytest.fixture
def url(made, tmp_path) -> str:
    shutil.copy(made, tmp_path / "gradebook.db")
    return gradebook_url(tmp_path)


def test_a_write_that_meets_a_lock_tries_again_until_the_lock_is_gone(url, tmp_path):
    "The lock outlasts SQLite's own 5 s wait: the first try fails, a later one succeeds."
    warnings: list[str] = []
    with write_lock(tmp_path / "gradebook.db", seconds=6.5):
        retry_locked(lambda: add_student(url, "alice"), url, "recording alice", pause=0.5, warn=warnings.append)
    assert students(url) == ["alice", "first"]
    assert warnings and all(w.startswith("recording alice: the gradebook is locked by another process; "
                                         "trying again in ") for w in warnings), warnings


def test_a_write_that_stays_locked_stops_with_a_clear_message(url, tmp_path):
    start = time.monotonic()
    with write_lock(tmp_path / "gradebook.db"), pytest.raises(GradebookLocked) as stopped:
        retry_locked(lambda: add_student(url, "alice"), url, "recording alice", attempts=2, pause=0.2,
                     warn=lambda _: None)
    assert time.monotonic() - start < 30  # bounded: two tries of SQLite's 5 s wait and one pause
    message = str(stopped.value)
    assert message.startswith(f"recording alice: the gradebook {url} stayed locked by another process for ")
    assert "(2 tries)" in message and "--db-url postgresql://" in message
    assert students(url) == ["first"]


def test_other_errors_are_not_retried(url):
    calls = []

    def fails():
        calls.append(1)
        raise ValueError("not a lock")

    with pytest.raises(ValueError, match="not a lock"):
        retry_locked(fails, url, "writing", warn=lambda _: None)
    assert len(calls) == 1


def test_a_submission_nbgrader_could_not_record_says_the_gradebook_was_locked():
    log = ("[AutogradeApp | ERROR] ...\nsqlalchemy.exc.OperationalError: (sqlite3.OperationalError) database is locked\n"
           "NbGraderException: Please see the error log")
    assert error_summary(log) == ("the gradebook was locked by another process (formgrader, an nbgrader command, "
                                  "another grader) for longer than SQLite waits: grade it again")
