"""Grading a class on Dask distributed: a local cluster, a remote scheduler, or from there SLURM and
Kubernetes (dask-jobqueue, dask-kubernetes start the same `dask worker` processes).

No filesystem is shared. A task (`Task`) carries one submitted folder as bytes and the identity of
the course material it must be graded against (`course_identity`: a checksum of the source
notebook, the reference library, nbgrader's configuration and the grader's code). The worker
(`grade_remote`) checks that identity against its own copy of the course (`TINYTORCH_COURSE`, or
the checkout it runs from) and refuses to grade when they differ (`CourseMismatch`). It grades in
a private scratch course folder with `autograde.grade_submission`, so the sandbox, the harness and
the limits are exactly those of a local run, and returns the autograded folder, the logs and the
outcome (`Result`). One coordinator (`distributed_autograde`) writes every result into
autograded/ and into the gradebook with nbgrader's own `SaveAutoGrades` step; with `db_url`
pointing at PostgreSQL, several coordinators can share one gradebook.

A worker that dies mid-grading loses nothing: the scheduler runs its tasks again elsewhere. A
result is keyed by module, student and the checksum of the submitted folder, and writing it
replaces that submission's autograded folder and scores (a gradebook row per student and cell is
updated, never added twice); a result for a folder that has changed since is not written.

One submission cannot stop the others. The coordinator keeps at most one task per worker thread
in flight (the rest wait here), so a worker that dies holds only the submission it was grading:
only that one is blamed. A task that raises, or whose workers keep dying until the scheduler gives
up (`KilledWorker`, after `distributed.scheduler.allowed-failures` retries), is recorded as "not
graded" with the reason, and grading goes on; the next `grade` grades it again. Only the errors
that make every grade untrustworthy (`STOP`: the sandbox cannot run, a worker's course differs)
stop the run.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import socket
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .. import ROOT
from ..library import PACKAGE
from ..notebooks import module_notebooks
from .autograde import (PROTECTED, Outcome, Snapshot, check_sandbox, ensure_assignments, grade_submission,
                        grading_library, library_folder, log_path, submitted_students)
from .gradebook import gradebook_url, retry_locked
from .sandbox import SandboxError

#: Environment variable naming a worker's copy of the course (default: the checkout it runs from).
COURSE_ENV = "TINYTORCH_COURSE"
COURSE_ID = "tinytorch"  # nbgrader_config.py's CourseDirectory.course_id


class DistributedError(RuntimeError):
    "Grading through Dask cannot go on (the message says why); no result is written for it."


class CourseMismatch(DistributedError):
    "A worker's copy of the course differs from the coordinator's: its grades would not be comparable."


class SchedulerUnreachable(DistributedError):
    "No Dask scheduler answers at the address given."


#: Task errors that stop the whole run (fail closed): every other error fails only its submission.
STOP = (CourseMismatch, SandboxError)


def _files(root: Path, module: str) -> list[Path]:
    "Everything a grade of `module` depends on, in a fixed order."
    package = Path(__file__).resolve().parents[1]  # the grader's own code (course/)
    files = [root / "nbgrader_config.py", *sorted((root / "source" / module).rglob("*")),
             *module_notebooks(root / "nbs"), *sorted((root / PACKAGE).rglob("*.py")),
             *sorted(package.rglob("*.py"))]
    return [p for p in files if p.is_file() and "__pycache__" not in p.parts]


def course_identity(root: Path, module: str) -> str:
    "SHA-256 of the course material that grading `module` depends on (names and contents)."
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in _files(root, module):
        name = path.relative_to(package.parent if package in path.parents else root)
        digest.update(f"{name}\0{path.stat().st_size}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def folder_bytes(folder: Path) -> dict[str, bytes]:
    "Relative path → content of every file under `folder`."
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def write_folder(folder: Path, files: dict[str, bytes]) -> None:
    "Make `folder` hold exactly `files` (relative path → content)."
    shutil.rmtree(folder, ignore_errors=True)
    for name, content in files.items():
        path = folder / name
        if folder.resolve() not in path.resolve().parents:
            raise ValueError(f"file name {name!r} leaves its folder {folder}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def checksum(files: dict[str, bytes]) -> str:
    "SHA-256 of a submitted folder (its file names and contents)."
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\0{len(files[name])}\0".encode() + files[name])
    return digest.hexdigest()


@dataclass(frozen=True)
class Task:
    "One submission to grade, self-contained: it travels to a worker through the scheduler."
    module: str
    student: str
    files: dict[str, bytes]  # the submitted folder: the notebook, timestamp.txt, ...
    identity: str  # course_identity of the coordinator's course for this module

    @property
    def key(self) -> str:
        "The Dask key: the same submission is one task, however often it is submitted."
        return f"grade-{self.module}-{self.student}-{checksum(self.files)[:16]}"


@dataclass
class Result:
    "What a worker sends back: the outcome, the autograded folder and the logs."
    module: str
    student: str
    checksum: str
    status: str
    seconds: float
    error: str
    tampered: list[str]
    autograded: dict[str, bytes]
    log: bytes
    sandbox_log: bytes
    worker: str


@dataclass
class RemoteOutcome(Outcome):
    "A local `Outcome`, plus which folder (checksum) was graded and where."
    checksum: str = ""
    worker: str = ""
    skipped: str = field(default="")  # why the result was not written (the submission changed since)


def worker_course() -> Path:
    "This worker's copy of the course."
    return Path(os.environ.get(COURSE_ENV) or ROOT).resolve()


def _worker_name() -> str:
    "This Dask worker's address (host:port), or the host name outside a worker."
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return socket.gethostname()


def _scratch_base() -> Path:
    "Where this worker keeps its scratch courses: its Dask local directory, else the temp folder."
    try:
        from distributed import get_worker

        base = Path(get_worker().local_directory)
    except (ImportError, ValueError):
        base = Path(tempfile.gettempdir())
    path = base / "tinytorch-grading"
    path.mkdir(parents=True, exist_ok=True)
    return path


_TEMPLATES: dict[tuple[str, str], Path] = {}


def _template(course: Path, module: str, identity: str) -> Path:
    """A scratch course for `module`, made once per worker process: nbgrader's configuration,
    the module's source, a gradebook with only the assignment, the reference library of the
    modules before it; the sandbox is checked in it before the first submission."""
    if (module, identity) in _TEMPLATES:
        return _TEMPLATES[module, identity]
    from ..build import generate_assignments

    template = Path(tempfile.mkdtemp(prefix=f"template-{module}-", dir=_scratch_base()))
    shutil.copy2(course / "nbgrader_config.py", template / "nbgrader_config.py")
    shutil.copytree(course / "source" / module, template / "source" / module)
    lock = course / ".build" / "grading" / f"{module}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as handle:  # workers sharing one course build its library one at a time
        fcntl.flock(handle, fcntl.LOCK_EX)
        shutil.copytree(grading_library(course, module), library_folder(template, module))
    generate_assignments(template, [module])
    check_sandbox(template)
    _TEMPLATES[module, identity] = template
    return template


def worker_identities(modules: list[str]) -> dict[str, str]:
    "module → course_identity of this worker's course (run on every worker before grading)."
    course = worker_course()
    return {module: course_identity(course, module) for module in modules}


def check_workers(client, root: Path, modules: list[str]) -> None:
    """Raise CourseMismatch, before any submission is graded, if a connected worker's course
    differs from this one (workers that join later are checked by each task)."""
    mine = {module: course_identity(root, module) for module in modules}
    for address, theirs in client.run(worker_identities, modules).items():
        differ = [m for m in modules if theirs[m] != mine[m]]
        if differ:
            raise CourseMismatch(f"worker {address} has different course material for {', '.join(differ)} than "
                                 "this coordinator: check out the same commit on both and run "
                                 "`python -m course build`")


def grade_remote(task: Task) -> Result:
    """Grade one submission on this worker, in a scratch copy of the module's template course.
    Raises CourseMismatch when this worker's course is not the coordinator's, SandboxError when
    the sandbox cannot run here (grading stops: nothing runs unprotected)."""
    course = worker_course()
    mine = course_identity(course, task.module)
    if mine != task.identity:
        raise CourseMismatch(
            f"worker {socket.gethostname()} (course at {course}) has different course material for "
            f"{task.module} than the coordinator (checksum {mine[:12]} here, {task.identity[:12]} there): "
            "check out the same commit on both and run `python -m course build`")
    template = _template(course, task.module, mine)
    scratch = Path(tempfile.mkdtemp(prefix=f"{task.module}-{task.student}-", dir=_scratch_base()))
    try:
        shutil.copytree(template, scratch, dirs_exist_ok=True)
        write_folder(scratch / "submitted" / task.student / task.module, task.files)
        log = log_path(scratch, task.module, task.student)
        allowed = (scratch / "autograded" / task.student / task.module, log, log.with_suffix(".json"),
                   log.with_suffix(".sandbox.log"))
        snapshot = Snapshot(scratch, PROTECTED)
        outcome = grade_submission(scratch, task.module, task.student)
        tampered = snapshot.restore(allowed)
        graded = scratch / "autograded" / task.student / task.module
        sandbox_log = log.with_suffix(".sandbox.log")
        return Result(task.module, task.student, checksum(task.files), outcome.status, outcome.seconds,
                      outcome.error, tampered, folder_bytes(graded) if graded.exists() else {},
                      log.read_bytes(), sandbox_log.read_bytes() if sandbox_log.exists() else b"",
                      _worker_name())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def save_grades(root: Path, result: Result, db_url: str) -> None:
    """Record an autograded notebook's scores in the gradebook, as `nbgrader autograde` does: the
    student and submission (with its timestamp) updated or created, then nbgrader's SaveAutoGrades
    and AssignLatePenalties on the notebook."""
    import nbformat
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades
    from nbgrader.utils import parse_utc

    from ..build import nbgrader_api

    module, student = result.module, result.student
    stamp = root / "submitted" / student / module / "timestamp.txt"
    timestamp = parse_utc(stamp.read_text().strip()) if stamp.exists() else None
    with Gradebook(db_url, COURSE_ID) as gb:
        gb.update_or_create_student(student)
        gb.update_or_create_submission(module, student, **({"timestamp": timestamp} if timestamp else {}))
    notebook = nbformat.reads(result.autograded[f"{module}.ipynb"].decode(), as_version=nbformat.NO_CONVERT)
    resources = {"nbgrader": {"assignment": module, "notebook": module, "student": student, "db_url": db_url}}
    config = nbgrader_api(root, db_url).config
    for step in (SaveAutoGrades, AssignLatePenalties):
        step(config=config).preprocess(notebook, resources)


def write_result(root: Path, result: Result, db_url: str) -> RemoteOutcome:
    """The coordinator's one write per result: autograded folder, logs, outcome and gradebook.
    Written only if the submitted folder is still the one that was graded (same checksum)."""
    module, student = result.module, result.student
    log = log_path(root, module, student)
    outcome = RemoteOutcome(module, student, result.status, result.seconds, log, result.tampered,
                            result.error, result.checksum, result.worker)
    submitted = root / "submitted" / student / module
    if checksum(folder_bytes(submitted)) != result.checksum:
        outcome.skipped = "the submission changed while it was graded: grade it again"
        return outcome
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_bytes(result.log)
    log.with_suffix(".sandbox.log").write_bytes(result.sandbox_log)
    graded = root / "autograded" / student / module
    if result.status == "graded":
        write_folder(graded, result.autograded)
        retry_locked(lambda: save_grades(root, result, db_url), db_url, f"recording {student} · {module}")
    else:
        shutil.rmtree(graded, ignore_errors=True)
    outcome.save()  # last: the report trusts an autograded notebook no newer than its outcome
    return outcome


def tasks(root: Path, modules: list[str], students: list[str] | None = None) -> list[Task]:
    "A Task for every (module, student) submission in submitted/."
    selected = []
    for module in modules:
        identity = course_identity(root, module)
        for student in students or submitted_students(root, module):
            folder = root / "submitted" / student / module
            if folder.exists():
                selected.append(Task(module, student, folder_bytes(folder), identity))
    return selected


def failure_reason(error: BaseException) -> str:
    "Why a task gave no result, in one line for the grade report."
    from distributed import KilledWorker

    if isinstance(error, KilledWorker):
        return (f"the Dask workers grading it died {error.allowed_failures + 1} time(s), the last one "
                f"{error.last_worker.address} (KilledWorker): grade it again; if it happens again, "
                "read that worker's log")
    return f"grading failed on the worker: {type(error).__name__}: {error}"[:300]


def failed_result(task: Task, error: BaseException) -> Result:
    "The Result of a task that raised or whose workers died: not graded, with the reason and traceback."
    import traceback

    trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return Result(task.module, task.student, checksum(task.files), "failed", 0.0, failure_reason(error), [], {},
                  trace.encode(), b"", "")


def task_result(future, task: Task) -> Result:
    "The result of a finished task; a failed task gives a 'failed' Result, unless its error is in STOP."
    try:
        return future.result()
    except STOP:
        raise
    except Exception as error:  # noqa: BLE001 - one submission's failure, reported as such
        return failed_result(task, error)


def worker_threads(client) -> int:
    "How many submissions the connected workers can grade at once (at least 1)."
    return max(1, sum(client.nthreads().values()))


def distributed_autograde(client, root: Path = ROOT, modules: list[str] | None = None,
                          students: list[str] | None = None, db_url: str | None = None,
                          progress=print) -> list[RemoteOutcome]:
    """Grade every (module, student) submission through the Dask `client`'s workers, at most one
    per worker thread in flight; this process alone writes the results (see the module docstring).
    A submission whose task fails is recorded "not graded" with the reason; a STOP error ends the run."""
    from distributed import as_completed

    modules = modules or [p.stem for p in module_notebooks(root / "nbs")]
    db_url = gradebook_url(root, db_url)
    ensure_assignments(root, modules, progress, db_url)
    check_workers(client, root, modules)
    todo = tasks(root, modules, students)
    waiting, sent = list(reversed(todo)), {}
    running = as_completed()

    def send() -> None:
        "Top up the tasks in flight to one per worker thread."
        while waiting and running.count() < worker_threads(client):
            task = waiting.pop()
            future = client.submit(grade_remote, task, key=task.key, pure=False)
            sent[future.key] = task
            running.add(future)

    outcomes, start = [], time.perf_counter()
    send()
    for number, future in enumerate(running, 1):
        send()  # the freed worker grades the next submission while this one's result is written
        outcome = write_result(root, task_result(future, sent[future.key]), db_url)
        outcomes.append(outcome)
        note = "" if outcome.status == "graded" else f"  ({outcome.status}: {outcome.error or 'see ' + str(outcome.log)})"
        note += f"  [not written: {outcome.skipped}]" if outcome.skipped else ""
        note += "  [wrote outside its folder: put back]" if outcome.tampered else ""
        where = f" on {outcome.worker}" if outcome.worker else ""
        progress(f"[{number:>{len(str(len(todo)))}}/{len(todo)}] {outcome.module:<16} {outcome.student:<12} "
                 f"{outcome.seconds:5.1f} s{where}  ({time.perf_counter() - start:.0f} s elapsed){note}")
    return outcomes


def gradebook_scores(db_url: str, module: str) -> dict[str, dict[str, float]]:
    "student → grade_id → auto score of `module`'s test cells, read from the gradebook."
    from nbgrader.api import Gradebook

    scores: dict[str, dict[str, float]] = {}
    with Gradebook(db_url, COURSE_ID) as gb:
        for submission in gb.assignment_submissions(module):
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    scores.setdefault(submission.student_id, {})[grade.name] = grade.auto_score or 0.0
    return scores


def gradebook_rows(db_url: str, module: str) -> list[tuple[str, str]]:
    "(student, cell) of every grade row of `module` in the gradebook, duplicates included."
    from nbgrader.api import Assignment, Grade, Gradebook, GradeCell, SubmittedAssignment, SubmittedNotebook

    with Gradebook(db_url, COURSE_ID) as gb:
        rows = (gb.db.query(SubmittedAssignment.student_id, GradeCell.name)
                .join(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
                .join(Grade, Grade.notebook_id == SubmittedNotebook.id)
                .join(GradeCell, GradeCell.id == Grade.cell_id)
                .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
                .filter(Assignment.name == module).all())
    return [tuple(r) for r in rows]


@contextmanager
def cluster_client(scheduler: str | None = None, workers: int = 2, timeout: float = 30):
    """A Dask client, closed at the end: on the scheduler at `scheduler` (tcp://host:8786), or on
    a LocalCluster of `workers` single-threaded worker processes on this machine (closed too)."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{timeout}s")
        except OSError as e:
            raise SchedulerUnreachable(f"no Dask scheduler answers at {scheduler} within {timeout:g} s ({e}); "
                                       "start one with `dask scheduler` (README: Grading on a cluster)") from e
        with client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            yield client
