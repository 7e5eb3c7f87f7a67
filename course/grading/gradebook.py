"""The gradebook: nbgrader's database, `gradebook.db` in the course folder unless a `db_url` names
another (any SQLAlchemy URL nbgrader accepts, e.g. `postgresql://user@host/db` for a gradebook that
several coordinators share). Grading, feedback, the report and `nbgrader export --db URL` all read
the one named.

SQLite lets one process write at a time. A writer that finds the file locked (formgrader, an
nbgrader command, another grader) waits inside SQLite (its busy timeout, 5 s in Python's sqlite3),
then fails with "database is locked". `retry_locked` runs the grader's own writes again after a
pause that doubles each time, a bounded number of times, then stops with `GradebookLocked`, whose
message says what to do."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")

#: Environment variable through which the grader hands `db_url` to its nbgrader processes
#: (course/grading/launch.py), so that a password in it never shows in a process listing.
DB_URL_ENV = "TINYTORCH_DB_URL"


def gradebook_url(root: Path, db_url: str | None = None) -> str:
    "The gradebook's URL: `db_url` if given, else the course's gradebook.db."
    return db_url or f"sqlite:///{root / 'gradebook.db'}"


def shown(db_url: str) -> str:
    "The URL as it may be printed: without its password."
    from sqlalchemy.engine import make_url

    return make_url(db_url).render_as_string(hide_password=True)


#: SQLite's message when another connection holds the lock a write needs (SQLITE_BUSY).
LOCKED = "database is locked"
ATTEMPTS = 4  # tries of one write; each waits up to SQLite's busy timeout (5 s in Python's sqlite3)
FIRST_PAUSE = 1.0  # seconds between the first and second try, doubled before each further one


class GradebookLocked(RuntimeError):
    "A gradebook write found the database locked by another process on every try."


def retry_locked(write: Callable[[], T], db_url: str, what: str, attempts: int = ATTEMPTS,
                 pause: float = FIRST_PAUSE, warn: Callable[[str], None] | None = None) -> T:
    """Run `write` (whole gradebook transactions, safe to run again) and return its result. While
    it fails because the database is locked, wait `pause` seconds (doubled each time) and run it
    again, `attempts` times in all; then raise GradebookLocked, naming `what` was written. Each
    retry is announced to `warn` (default: stderr)."""
    warn = warn or (lambda line: print(line, file=sys.stderr, flush=True))
    start = time.monotonic()
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except Exception as error:
            if LOCKED not in str(error):
                raise
            if attempt == attempts:
                raise GradebookLocked(
                    f"{what}: the gradebook {shown(db_url)} stayed locked by another process for "
                    f"{time.monotonic() - start:.0f} s ({attempts} tries). Close what holds it (formgrader, "
                    "an nbgrader command, another grader of this course), then run the same command again; "
                    "graders that write at the same time should share a PostgreSQL gradebook "
                    "(--db-url postgresql://…)") from error
            wait = pause * 2 ** (attempt - 1)
            warn(f"{what}: the gradebook is locked by another process; trying again in {wait:g} s "
                 f"(try {attempt + 1} of {attempts})")
            time.sleep(wait)
    raise ValueError(f"attempts must be at least 1, not {attempts}")
