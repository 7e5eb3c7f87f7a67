"""Starts `nbgrader` for one submission: `python -m course.grading.launch GRADER_PID CORES ARGS...`.

Run by `autograde.grade_submission` instead of the `nbgrader` script, to do three things before
nbgrader starts, in its own process:
* die with the grader (prctl PR_SET_PDEATHSIG): a grader killed even by SIGKILL leaves no nbgrader
  behind, and the sandbox dies with nbgrader (bwrap --die-with-parent);
* run pinned to CORES (comma-separated, or empty for no pinning): everything it starts inherits it;
* skip an import that costs more than a second of every grading process: jsonschema, which nbformat
  loads, imports `rfc3987_syntax` when installed (jupyter-events pulls it in) and builds a Lark
  grammar for the "iri" string format at import time; nbgrader never checks that format;
* point nbgrader at the gradebook named by TINYTORCH_DB_URL, if set (`grade --db-url`): given
  through the environment, not the command line, a password in it never shows in a process list.
"""
from __future__ import annotations

import ctypes
import os
import sys

PR_SET_PDEATHSIG = 1


def prepare(grader: int, cores: str) -> None:
    "Die with the `grader` process, and run on `cores` if any are given."
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, 9)  # SIGKILL
    if os.getppid() != grader:  # the grader died before the line above
        os._exit(1)
    if cores:
        os.sched_setaffinity(0, [int(core) for core in cores.split(",")])
    sys.modules["rfc3987_syntax"] = None  # import fails: jsonschema then leaves "iri" unchecked


def main() -> int:
    grader, cores, *arguments = sys.argv[1:]
    prepare(int(grader), cores)
    from nbgrader.apps.nbgraderapp import main as nbgrader

    from course.grading.gradebook import DB_URL_ENV

    database = os.environ.get(DB_URL_ENV)
    sys.argv = ["nbgrader", *arguments, *([f"--CourseDirectory.db_url={database}"] if database else [])]
    return nbgrader()


if __name__ == "__main__":
    sys.exit(main())
