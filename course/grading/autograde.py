"""Autograding a class, each submission in its own processes, so one bad submission harms no other.

For module N every submission is graded by `grade_submission`: `nbgrader autograde` for that
student in its own process (trusted: it never runs student code), which runs the notebook in a
bubblewrap sandbox (course/grading/sandbox.py, harness.py, execute.py) holding only the
reference library of modules 1..N-1 (earlier mistakes are not punished twice; module N's
reference cannot stand in for the student's code), and records the grades in the gradebook.
Before any submission, `check_sandbox` proves the sandbox works, or grading stops (fail closed).
A wall-clock limit covers the whole submission, and a check that nothing outside the
submission's own autograded folder changed stays as a second line of defence.

`autograde(jobs=N)` grades N submissions at a time, each pinned to its own core with one BLAS
thread (grades, performance tests included, are those of a serial run: every run, serial or
not, grades with one BLAS thread on one core).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from queue import SimpleQueue
from typing import Callable

from .. import ROOT
from ..library import PACKAGE, module_exports, prefix_library
from ..notebooks import module_notebooks
from .gradebook import DB_URL_ENV, LOCKED, gradebook_url, retry_locked
from .sandbox import ONE_BLAS_THREAD

#: Folders a submission must never change while it is graded.
PROTECTED = ("nbs", "source", "release", "submitted", "autograded", PACKAGE, "course", ".build")
SUBMISSION_TIME_LIMIT = 600  # seconds for one whole submission, well above 60 s per cell
_RUNNING: set[int] = set()  # process groups of the nbgrader processes grading now


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
    submission_sha256: str = ""  # what was graded (submission_checksum) ...
    course_sha256: str = ""  # ... by which tests, library and grader (course_checksum)

    def save(self) -> None:
        """Keep the outcome next to the log, for the grade report and for resuming (written whole
        or not at all: a grader killed while writing it leaves the previous record)."""
        record = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}
        path = self.log.with_suffix(".json")
        partial = path.with_suffix(".json.partial")
        partial.write_text(json.dumps(record, indent=1))
        partial.replace(path)


def log_path(root: Path, module: str, student: str) -> Path:
    return root / ".build" / "logs" / module / f"{student}.log"


def outcome_path(root: Path, module: str, student: str) -> Path:
    return log_path(root, module, student).with_suffix(".json")


def load_outcome(root: Path, module: str, student: str) -> dict | None:
    path = outcome_path(root, module, student)
    return json.loads(path.read_text()) if path.exists() else None


def files_checksum(tops: list[Path]) -> str:
    "SHA-256 over the relative paths and contents of the files under `tops` (folders or files)."
    digest = hashlib.sha256()
    for top in tops:
        files = sorted(p for p in top.rglob("*") if p.is_file() and "__pycache__" not in p.parts) \
            if top.is_dir() else [top] if top.exists() else []
        for path in files:
            digest.update(f"{path.relative_to(top.parent)}\0{path.stat().st_size}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def submission_checksum(root: Path, module: str, student: str) -> str:
    "What the student submitted for `module`: every file of submitted/<student>/<module>/."
    return files_checksum([root / "submitted" / student / module])


def course_checksum(root: Path, module: str) -> str:
    """What grades `module`: its source notebook (the tests), the reference library of the modules
    before it, the grader's code and the nbgrader configuration. Any change regrades everyone."""
    return files_checksum([root / "source" / module, library_folder(root, module),
                           Path(__file__).parent, root / "nbgrader_config.py"])


_ERROR_LINE = re.compile(r"^\s*(?:[\w.]+\.)?(\w+(?:Error|Exception|Exit)): (.+)$")
_EXPLAINED = {"DeadKernelError": "the kernel died: the notebook exited Python or crashed it"}


def error_summary(log_text: str) -> str:
    "Why grading failed, from the last 'SomeError: message' line of an nbgrader log."
    matches = [m for m in map(_ERROR_LINE.match, log_text.splitlines()) if m]
    errors = [m for m in matches if m.group(1) != "NbGraderException"] or matches  # the root cause first
    if not errors:
        return ""
    name, message = errors[-1].groups()
    if LOCKED in message:
        return ("the gradebook was locked by another process (formgrader, an nbgrader command, another grader) "
                "for longer than SQLite waits: grade it again")
    return _EXPLAINED.get(name, f"{name}: {message}"[:300])


def _status(path: Path) -> tuple[int, int, int, int]:
    "What changes whenever a file is written: size, modification and change times, inode."
    st = path.stat()
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def _under(path: Path, tops: frozenset[str]) -> bool:
    """Whether `path` is one of `tops` (paths as strings) or inside one of them: a set lookup per level
    of `path`, so checking every protected file stays cheap however many submissions are in flight."""
    return str(path) in tops or any(str(parent) in tops for parent in path.parents)


def _tops(paths: tuple[Path, ...]) -> frozenset[str]:
    "`paths` as the set of strings `_under` looks paths up in."
    return frozenset(map(str, paths))


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
        changed, allowed_tops = [], _tops(allowed)
        for path in self._paths() - self.files.keys():
            if not _under(path, allowed_tops):
                path.unlink()
                changed.append(f"created {path.relative_to(self.root)}")
        for path, (status, content) in self.files.items():
            if _under(path, allowed_tops) or (path.exists() and _status(path) == status):
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            self.files[path] = (_status(path), content)
            changed.append(f"changed {path.relative_to(self.root)}")
        return sorted(changed)

    def accept(self, paths: tuple[Path, ...]) -> None:
        "Take the files now under `paths` (written legitimately, e.g. by nbgrader) into the snapshot."
        tops = _tops(paths)
        for path in [p for p in self.files if _under(p, tops)]:
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


def grader_environment(db_url: str | None = None) -> dict[str, str]:
    """Environment of the nbgrader process: this checkout's `course` package first on the path
    (a venv reused from another checkout would otherwise bring that checkout's grader), and the
    gradebook's URL if it is not the course's gradebook.db (launch.py hands it to nbgrader)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP", DB_URL_ENV)}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env | ONE_BLAS_THREAD | ({DB_URL_ENV: db_url} if db_url else {})


def usable_cores() -> list[int]:
    "The cores this process may run on (its affinity mask, which taskset or a batch system may narrow)."
    return sorted(os.sched_getaffinity(0))


def ensure_assignments(root: Path, modules: list[str], progress=print, db_url: str | None = None) -> None:
    """Make sure the gradebook (gradebook.db, or the database at `db_url`) knows every module (a
    fresh clone has no gradebook): run nbgrader generate_assignment for those it does not, or
    raise with nbgrader's own error; tried again while the gradebook is locked (retry_locked)."""
    retry_locked(lambda: _add_assignments(root, modules, progress, db_url), gradebook_url(root, db_url),
                 "adding the modules to the gradebook")


def _add_assignments(root: Path, modules: list[str], progress, db_url: str | None) -> None:
    "ensure_assignments, tried once."
    from nbgrader.api import Gradebook, MissingEntry

    from ..build import generate_assignments

    with Gradebook(gradebook_url(root, db_url)) as gb:
        missing = []
        for module in modules:
            try:
                gb.find_assignment(module)
            except MissingEntry:
                missing.append(module)
    if missing:
        progress(f"the gradebook has no {', '.join(missing)} yet: running nbgrader generate_assignment")
        generate_assignments(root, missing, db_url)


def check_sandbox(root: Path) -> None:
    "Start one empty sandbox and close it; raises SandboxError (grading must stop) if it is unsound."
    from .sandbox import Session

    empty = root / ".build" / "grading" / "empty"
    empty.mkdir(parents=True, exist_ok=True)
    Session(root, empty, empty, root / ".build" / "logs" / "sandbox-check.log").close()


def grade_submission(root: Path, module: str, student: str, time_limit: float = SUBMISSION_TIME_LIMIT,
                     cores: list[int] | None = None, db_url: str | None = None) -> Outcome:
    """Grade one submission: nbgrader autograde in its own process group, the notebook in the
    sandbox, all of it pinned to `cores` if given, its grades written to the gradebook at `db_url`
    (default: gradebook.db). Reads only the course and that submission,
    writes only that student's autograded folder, logs and gradebook rows, so submissions can be
    graded concurrently. Never raises for a bad submission; raises SandboxError when the sandbox
    cannot run."""
    from .sandbox import SandboxError

    log = log_path(root, module, student)
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "course.grading.launch", str(os.getpid()), ",".join(map(str, cores or [])),
               "autograde", module, "--student", student, "--force"]
    start = time.perf_counter()
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=root, env=grader_environment(db_url), stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        _RUNNING.add(process.pid)
        try:
            status = "graded" if process.wait(timeout=time_limit) == 0 else "failed"
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            status = "killed"
        finally:
            _RUNNING.discard(process.pid)
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


def _allowed(root: Path, module: str, student: str) -> tuple[Path, ...]:
    "What grading (module, student) may write under the protected folders."
    log = log_path(root, module, student)
    return (root / "autograded" / student / module, log, log.with_suffix(".json"),
            log.with_suffix(".sandbox.log"))


def progress_line(number: int, total: int, outcome: Outcome) -> str:
    "One line per graded submission: its place in the run, time taken, and anything unusual."
    note = "" if outcome.status == "graded" else f"  ({outcome.status}: {outcome.error or 'see ' + str(outcome.log)})"
    note += "  [wrote outside its folder: put back]" if outcome.tampered else ""
    return (f"[{number:>{len(str(total))}}/{total}] {outcome.module:<16} {outcome.student:<12} "
            f"{outcome.seconds:5.1f} s{note}")


class ConsoleProgress:
    """Where `autograde` reports when not told otherwise: on a terminal a tqdm bar with the ETA,
    each submission's line printed above it; plain lines when stdout is not a terminal (a log)."""

    def __init__(self, total: int):
        self.bar = None
        if sys.stdout.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="submission", dynamic_ncols=True, file=sys.stdout)

    def __call__(self, line: str) -> None:
        if self.bar is None:
            print(line, flush=True)
        else:
            self.bar.write(line)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def default_jobs() -> int:
    "As many submissions at a time as there are usable cores."
    return len(usable_cores())


def unchanged(root: Path, jobs: list[tuple[str, str]], courses: dict[str, str],
              db_url: str | None = None) -> set[tuple[str, str]]:
    """The submissions among `jobs` that need no grading: their record says the course's grader
    graded them (or stopped them at the time limit) from this very submission with this very
    course material (`courses`: module → course_checksum), and the autograded notebook it wrote
    is still the last one written and in the gradebook (at `db_url`, default gradebook.db)."""
    from nbgrader.api import Gradebook, MissingEntry

    from .report import grader

    candidates = []
    for module, student in jobs:
        record = load_outcome(root, module, student) or {}
        graded = root / "autograded" / student / module / f"{module}.ipynb"
        if (record.get("status") in ("graded", "killed") and record.get("course_sha256") == courses[module]
                and record.get("submission_sha256") == submission_checksum(root, module, student)
                and (record["status"] == "killed" or graded.exists() and grader(root, module, student, graded) == "course")):
            candidates.append((module, student, record["status"]))
    if not candidates or db_url is None and not (root / "gradebook.db").exists():
        return set()
    done = set()
    with Gradebook(gradebook_url(root, db_url)) as gb:
        for module, student, status in candidates:
            try:
                if status == "graded":
                    gb.find_submission(module, student)
                done.add((module, student))
            except MissingEntry:
                pass
    return done


def autograde(root: Path = ROOT, modules: list[str] | None = None, students: list[str] | None = None,
              progress: Callable[[str], None] | None = None, jobs: int | None = None,
              regrade: bool = False, db_url: str | None = None) -> list[Outcome]:
    """Grade every (module, student) submission in submitted/ that changed since it was graded
    (all of them if `regrade`) into the gradebook at `db_url` (default: gradebook.db), `jobs` at
    a time (default: one per usable core), reporting each to
    `progress` as it finishes (default: ConsoleProgress). Returns the outcomes of the submissions
    graded now, in (module, student) order. A run that was stopped part way (Ctrl-C, killed)
    resumes where it stopped: a submission's record is written only once it is fully graded.

    Each concurrent grading is pinned to a core of its own (when there are at least `jobs`
    usable cores). The check that nothing outside a submission's folders changed runs after
    each submission, allowing the folders of every submission still in flight (their nbgrader
    processes are writing them), and takes the finished one's files as the new reference."""
    modules = modules or [p.stem for p in module_notebooks(root / "nbs")]
    todo = [(m, s) for m in modules for s in (students or submitted_students(root, m))
            if (root / "submitted" / s / m).exists()]
    for module in modules:
        grading_library(root, module)
    courses = {module: course_checksum(root, module) for module in modules}
    skipped = set() if regrade else unchanged(root, todo, courses, db_url)
    if skipped:
        (progress or print)(f"{len(skipped)} submission(s) unchanged since they were graded: not graded again "
                            "(--regrade grades them anyway)")
        todo = [job for job in todo if job not in skipped]
    if not todo:
        return []
    jobs = max(1, min(jobs or default_jobs(), len(todo)))
    ensure_assignments(root, modules, progress or print, db_url)
    check_sandbox(root)
    snapshot = Snapshot(root, PROTECTED)
    cores = usable_cores()
    free: SimpleQueue[list[int] | None] = SimpleQueue()
    for slot in range(jobs):  # a core of its own per slot, or no pinning if cores are too few
        free.put([cores[slot]] if jobs <= len(cores) else None)

    def pinned(module: str, student: str) -> Outcome:
        "Grade on a free core; the record names the submission as it was when its grading began."
        slot = free.get()
        try:
            checksum = submission_checksum(root, module, student)
            outcome = grade_submission(root, module, student, cores=slot, db_url=db_url)
            outcome.submission_sha256, outcome.course_sha256 = checksum, courses[module]
            return outcome
        finally:
            free.put(slot)

    outcomes: dict[tuple[str, str], Outcome] = {}
    report = progress or ConsoleProgress(len(todo))
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade") as pool:
        running = {pool.submit(pinned, m, s): (m, s) for m, s in todo}
        try:
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    module, student = running.pop(future)
                    outcome = future.result()  # a SandboxError stops the whole run
                    in_flight = tuple(p for m, s in running.values() for p in _allowed(root, m, s))
                    allowed = _allowed(root, module, student)
                    outcome.tampered = snapshot.restore(allowed + in_flight)
                    outcome.save()
                    snapshot.accept(allowed)
                    outcomes[module, student] = outcome
                    report(progress_line(len(outcomes), len(todo), outcome))
        except BaseException:  # Ctrl-C or a SandboxError: stop now, grade nothing more
            _stop(running)
            raise
        finally:
            if isinstance(report, ConsoleProgress):
                report.close()
    return [outcomes[job] for job in todo]


def _stop(running) -> None:
    "Cancel the submissions not started and kill those being graded (their sandboxes die with them)."
    for future in running:
        future.cancel()
    for group in list(_RUNNING):
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
