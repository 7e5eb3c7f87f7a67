"""The gradebook: nbgrader's database, `gradebook.db` in the course folder unless a `db_url` names
another (any SQLAlchemy URL nbgrader accepts, e.g. `postgresql://user@host/db` for a gradebook that
several coordinators share). Grading, feedback, the report and `nbgrader export --db URL` all read
the one named."""
from __future__ import annotations

from pathlib import Path

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
