"""Autograding a class, one submission at a time, so one bad submission harms no other.

For module N every submission is graded by `grade_submission`: `nbgrader autograde` for that
student in its own process (trusted: it never runs student code), which runs the notebook in a
bubblewrap sandbox (course/grading/sandbox.py, harness.py, execute.py) holding only the
reference library of modules 1..N-1 (earlier mistakes are not punished twice; module N's
reference cannot stand in for the student's code), and records the grades in the gradebook.
Before any submission, `check_sandbox` proves the sandbox works, or grading stops (fail closed).
A wall-clock limit covers the whole submission, and a check that nothing outside the
submission's own autograded folder changed stays as a second line of defence.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import ROOT
from ..library import PACKAGE, module_exports, prefix_library
from ..notebooks import module_notebooks

#: Folders a submission must never change while it is graded.
PROTECTED = ("nbs", "source", "release", "submitted", "autograded", PACKAGE, "course", ".build")
SUBMISSION_TIME_LIMIT = 600  # seconds for one whole submission, well above 30 s per cell


@dataclass
class Outcome:
    "What happened when one submission was graded."
    module: str
    student: str
    status: str  # "graded", "failed" (nbgrader could not grade it) or "killed" (time limit)
    seconds: float
    log: Path
    tampered: list[str] = field(default_factory=list)
    error: str = ""  # why nbgrader could not grade it, from its log

    def save(self) -> None:
        "Keep the outcome next to the log, for the grade report."
        record = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}
        self.log.with_suffix(".json").write_text(json.dumps(record, indent=1))


def log_path(root: Path, module: str, student: str) -> Path:
    return root / ".build" / "logs" / module / f"{student}.log"


def outcome_path(root: Path, module: str, student: str) -> Path:
    return log_path(root, module, student).with_suffix(".json")


def load_outcome(root: Path, module: str, student: str) -> dict | None:
    path = outcome_path(root, module, student)
    return json.loads(path.read_text()) if path.exists() else None


_ERROR_LINE = re.compile(r"^\s*(?:[\w.]+\.)?(\w+(?:Error|Exception|Exit)): (.+)$")
_EXPLAINED = {"DeadKernelError": "the kernel died: the notebook exited Python or crashed it"}


def error_summary(log_text: str) -> str:
    "Why grading failed, from the last 'SomeError: message' line of an nbgrader log."
    matches = [m for m in map(_ERROR_LINE.match, log_text.splitlines()) if m]
    errors = [m for m in matches if m.group(1) != "NbGraderException"] or matches  # the root cause first
    if not errors:
        return ""
    name, message = errors[-1].groups()
    return _EXPLAINED.get(name, f"{name}: {message}"[:300])


def _status(path: Path) -> tuple[int, int, int, int]:
    "What changes whenever a file is written: size, modification and change times, inode."
    st = path.stat()
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def _under(path: Path, tops: tuple[Path, ...]) -> bool:
    "Whether `path` is one of `tops` or inside one of them."
    return any(path == top or top in path.parents for top in tops)


class Snapshot:
    """The files under `folders`, kept in memory to find and undo writes made by a submission.

    Taken once per grading run. A write is noticed by the file's status: its change time (ctime)
    moves on every write and cannot be set back. So checking after each submission costs a
    `stat` per file, not a read, and grading stays linear in the size of the class."""

    def __init__(self, root: Path, folders: tuple[str, ...]):
        self.root, self.folders = root, folders
        self.files = {path: (_status(path), path.read_bytes()) for path in self._paths()}

    def _paths(self, under: tuple[Path, ...] = ()) -> set[Path]:
        "Files in the protected folders (only those under `under`, if given)."
        tops = under or tuple(self.root / f for f in self.folders)
        return {p for top in tops if top.exists() for p in ([top] if top.is_file() else top.rglob("*"))
                if p.is_file() and "__pycache__" not in p.parts}

    def restore(self, allowed: tuple[Path, ...]) -> list[str]:
        "Undo every change outside the `allowed` paths; return what had changed."
        changed = []
        for path in self._paths() - self.files.keys():
            if not _under(path, allowed):
                path.unlink()
                changed.append(f"created {path.relative_to(self.root)}")
        for path, (status, content) in self.files.items():
            if _under(path, allowed) or (path.exists() and _status(path) == status):
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            self.files[path] = (_status(path), content)
            changed.append(f"changed {path.relative_to(self.root)}")
        return sorted(changed)

    def accept(self, paths: tuple[Path, ...]) -> None:
        "Take the files now under `paths` (written legitimately, e.g. by nbgrader) into the snapshot."
        for path in [p for p in self.files if _under(p, paths)]:
            del self.files[path]
        self.files.update({p: (_status(p), p.read_bytes()) for p in self._paths(paths)})


def library_folder(root: Path, module: str) -> Path:
    "Where the reference library of the modules before `module` is kept for its grading."
    return root / ".build" / "grading" / module


def grading_library(root: Path, module: str) -> Path:
    "Folder holding the reference library of the modules before `module`, (re)built now."
    names = [p.stem for p in module_notebooks(root / "nbs")]
    before = module_exports(root / "nbs")[:names.index(module)]
    return prefix_library(root / PACKAGE, before, library_folder(root, module))


def grader_environment() -> dict[str, str]:
    """Environment of the nbgrader process: this checkout's `course` package first on the path
    (a venv reused from another checkout would otherwise bring that checkout's grader)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


def ensure_assignments(root: Path, modules: list[str], progress=print, db_url: str | None = None) -> None:
    """Make sure the gradebook (gradebook.db, or the database at `db_url`) knows every module (a
    fresh clone has no gradebook): run nbgrader generate_assignment for those it does not, or
    raise with nbgrader's own error."""
    from nbgrader.api import Gradebook, MissingEntry

    from ..build import nbgrader_api

    with Gradebook(db_url or f"sqlite:///{root / 'gradebook.db'}") as gb:
        missing = []
        for module in modules:
            try:
                gb.find_assignment(module)
            except MissingEntry:
                missing.append(module)
    if missing:
        progress(f"the gradebook has no {', '.join(missing)} yet: running nbgrader generate_assignment")
        api = nbgrader_api(root, db_url)
        for module in missing:
            result = api.generate_assignment(module, force=True)
            if not result["success"]:
                raise RuntimeError(f"nbgrader generate_assignment {module} failed: "
                                   f"{error_summary(result['log']) or result['log'][-500:]}")


def check_sandbox(root: Path) -> None:
    "Start one empty sandbox and close it; raises SandboxError (grading must stop) if it is unsound."
    from .sandbox import Session

    empty = root / ".build" / "grading" / "empty"
    empty.mkdir(parents=True, exist_ok=True)
    Session(root, empty, empty, root / ".build" / "logs" / "sandbox-check.log").close()


def grade_submission(root: Path, module: str, student: str,
                     time_limit: float = SUBMISSION_TIME_LIMIT) -> Outcome:
    """Grade one submission: nbgrader autograde in its own process group, the notebook in the
    sandbox. Reads only the course and that submission, writes only that student's autograded
    folder, logs and gradebook rows, so submissions can be graded concurrently. Never raises
    for a bad submission; raises SandboxError when the sandbox cannot run."""
    from .sandbox import SandboxError

    log = log_path(root, module, student)
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [str(Path(sys.executable).parent / "nbgrader"), "autograde", module,
               "--student", student, "--force"]
    start = time.perf_counter()
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=root, env=grader_environment(), stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            status = "graded" if process.wait(timeout=time_limit) == 0 else "failed"
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            status = "killed"
    text = log.read_text(errors="replace")
    if "SandboxError" in text:
        raise SandboxError(error_summary(text) or f"the sandbox failed: see {log}")
    error = "" if status == "graded" else error_summary(text)
    if status == "killed":
        error = f"stopped after {time_limit:g} s for the whole submission"
    return Outcome(module, student, status, time.perf_counter() - start, log, error=error)


def submitted_students(root: Path, module: str) -> list[str]:
    "Students with a submission of `module` in submitted/, sorted."
    return sorted(p.parent.parent.name for p in (root / "submitted").glob(f"*/{module}/{module}.ipynb"))


def autograde(root: Path = ROOT, modules: list[str] | None = None, students: list[str] | None = None,
              progress=print) -> list[Outcome]:
    """Grade every (module, student) submission in submitted/, reporting progress as it goes."""
    modules = modules or [p.stem for p in module_notebooks(root / "nbs")]
    jobs = [(m, s) for m in modules for s in (students or submitted_students(root, m))
            if (root / "submitted" / s / m).exists()]
    for module in modules:
        grading_library(root, module)
    ensure_assignments(root, modules, progress)
    check_sandbox(root)
    snapshot = Snapshot(root, PROTECTED)
    outcomes = []
    for number, (module, student) in enumerate(jobs, 1):
        log = log_path(root, module, student)
        allowed = (root / "autograded" / student / module, log, log.with_suffix(".json"),
                   log.with_suffix(".sandbox.log"))
        outcome = grade_submission(root, module, student)
        outcome.tampered = snapshot.restore(allowed)
        outcome.save()
        snapshot.accept(allowed)
        outcomes.append(outcome)
        note = "" if outcome.status == "graded" else f"  ({outcome.status}: {outcome.error or 'see ' + str(outcome.log)})"
        note += "  [wrote outside its folder: put back]" if outcome.tampered else ""
        progress(f"[{number:>{len(str(len(jobs)))}}/{len(jobs)}] {module:<16} {student:<12} "
                 f"{outcome.seconds:5.1f} s{note}")
    return outcomes
