"""Grading through Dask distributed for real (course/grading/distributed.py): a `dask scheduler`
and two `dask worker` processes started here, one killed mid-run; a LocalCluster grading into a
PostgreSQL gradebook that this test initialises, starts and stops itself. The workers grade
against their own copy of the course, not the coordinator's folder."""
from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from distributed.diagnostics.plugin import WorkerPlugin

from course import ROOT, demo
from course.checks import submissions
from course.grading.distributed import (COURSE_ENV, CourseMismatch, SchedulerUnreachable, Task, check_workers,
                                        cluster_client, course_identity, distributed_autograde, grade_remote,
                                        gradebook_rows, gradebook_scores)
from course.grading.report import class_results
from course.grading.report import test_groups as cell_groups
from course.notebooks import GROUPS
from tests.conftest import copy_course

MODULE = "03_activations"  # a quick module whose demo class covers every kind of student
DASK = Path(sys.executable).parent / "dask"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:3]} exited with status {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


def stop_leftovers(folder: Path) -> None:
    """Kill what a killed worker left running in its scratch folder (its nbgrader process keeps
    grading a submission nobody will read): the process group of every process working there."""
    for cwd in glob.glob("/proc/[0-9]*/cwd"):
        try:
            target = Path(os.readlink(cwd))
        except OSError:
            continue
        if folder in target.parents:
            try:
                os.killpg(os.getpgid(int(cwd.split("/")[2])), signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture(scope="module")
def worker_course(tmp_path_factory) -> Path:
    "The workers' own copy of the course (no shared filesystem with the coordinator is assumed)."
    return copy_course(tmp_path_factory.mktemp("worker-course"))


def demo_class(folder: Path) -> tuple[Path, list[str]]:
    """A coordinator's course with the demo class submitted for MODULE (each distinct submission
    once: no student that only repeats the reference)."""
    root = copy_course(folder)
    students = demo.make_submissions(root, [MODULE], reference_copies=False)
    return root, [student for _, student in submissions(root, [MODULE], students)]


def group_points(scores: dict[str, float]) -> dict[str, float]:
    "Test group → points, from grade_id → score."
    groups = cell_groups(ROOT / "source" / MODULE / f"{MODULE}.ipynb")
    points = dict.fromkeys(GROUPS, 0.0)
    for grade_id, score in scores.items():
        if grade_id in groups:
            points[groups[grade_id][0]] += score
    return points


def assert_one_row_per_student_and_cell(db_url: str, students: list[str]) -> None:
    rows = gradebook_rows(db_url, MODULE)
    cells = len(cell_groups(ROOT / "source" / MODULE / f"{MODULE}.ipynb"))
    assert len(rows) == len(set(rows)), "a (student, cell) grade row is in the gradebook twice"
    assert sorted({s for s, _ in rows}) == sorted(students)
    assert all(sum(1 for s, _ in rows if s == student) == cells for student in students)


@pytest.fixture
def other_material(tmp_path, monkeypatch) -> Path:
    "A worker course (TINYTORCH_COURSE) whose source notebook of MODULE differs by one space."
    course = copy_course(tmp_path / "course")
    assert course_identity(course, MODULE) == course_identity(ROOT, MODULE)
    notebook = course / "source" / MODULE / f"{MODULE}.ipynb"
    notebook.write_text(notebook.read_text().replace("assert", "assert  ", 1))
    assert course_identity(course, MODULE) != course_identity(ROOT, MODULE)
    monkeypatch.setenv(COURSE_ENV, str(course))
    return course


def test_a_task_for_other_course_material_is_refused(other_material):
    task = Task(MODULE, "someone", {f"{MODULE}.ipynb": b"{}"}, course_identity(ROOT, MODULE))
    with pytest.raises(CourseMismatch, match="different course material for 03_activations"):
        grade_remote(task)


def test_a_worker_with_other_material_stops_grading_before_any_task(other_material):
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster, Client(cluster) as client:
        with pytest.raises(CourseMismatch, match=r"worker \S+ has different course material for 03_activations"):
            check_workers(client, ROOT, [MODULE])


def test_an_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(SchedulerUnreachable, match=r"no Dask scheduler answers at tcp://127.0.0.1:\d+ within 2 s"):
        with cluster_client(f"tcp://127.0.0.1:{free_port()}", timeout=2):
            pass


def test_grade_with_an_unreachable_scheduler_stops_with_exit_3(tmp_path, monkeypatch, capsys):
    import course.__main__ as cli

    for folder in ("nbs", "source"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    submitted = tmp_path / "submitted" / "alice" / MODULE
    submitted.mkdir(parents=True)
    shutil.copy(ROOT / "release" / MODULE / f"{MODULE}.ipynb", submitted)
    monkeypatch.setattr(cli, "ROOT", tmp_path)
    address = f"tcp://127.0.0.1:{free_port()}"
    assert cli.main(["grade", "--module", MODULE, "--scheduler", address]) == 3
    assert f"error: grading stopped: no Dask scheduler answers at {address}" in capsys.readouterr().err
    assert not (tmp_path / "autograded").exists()


@pytest.mark.slow
def test_scheduler_and_two_workers_one_killed_mid_run(tmp_path, worker_course):
    from distributed import Client

    root, students = demo_class(tmp_path / "coordinator")
    port = free_port()
    env = {**os.environ, COURSE_ENV: str(worker_course)}
    processes = {"scheduler": subprocess.Popen(
        [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)}
    scratch = tmp_path / "workers"
    try:
        wait_for_port(port, processes["scheduler"])
        for name in ("w1", "w2"):
            processes[name] = subprocess.Popen(
                [DASK, "worker", f"tcp://127.0.0.1:{port}", "--nthreads", "1", "--no-nanny", "--no-dashboard",
                 "--name", name, "--local-directory", str(scratch / name)],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with Client(f"tcp://127.0.0.1:{port}", timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
            killed: dict[str, list] = {}

            def kill_a_busy_worker(line: str) -> None:
                "At the first result, SIGKILL a worker that has a submission in hand."
                if killed or not line.startswith("["):
                    return
                names = {a: w["name"] for a, w in client.scheduler_info()["workers"].items()}
                deadline = time.monotonic() + 30  # the scheduler may not have handed out the next one yet
                while not (busy := [(a, keys) for a, keys in client.processing().items() if keys]) \
                        and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert busy, "no worker has a submission left to grade: the run is too short to test this"
                address, keys = busy[0]
                processes[names[address]].kill()
                killed[address] = list(keys)

            outcomes = distributed_autograde(client, root, [MODULE], progress=kill_a_busy_worker)
    finally:
        for process in processes.values():
            process.kill()
            process.wait()
        stop_leftovers(scratch)
    (address, keys), = killed.items()
    assert keys, "the killed worker had no submission in hand"
    assert sorted(o.student for o in outcomes) == sorted(students), "a submission is missing or graded twice"
    regraded = [o for o in outcomes if any(f"-{o.student}-" in str(k) for k in keys)]
    assert regraded and all(o.worker != address for o in regraded), "the killed worker's submissions were not regraded elsewhere"
    results = class_results(root, [MODULE], students)
    assert demo.grade_mismatches(root, results, [MODULE]) == []
    assert {r[MODULE].graded_by for r in results.values()} == {"course"}  # the report trusts these results
    assert_one_row_per_student_and_cell(f"sqlite:///{root / 'gradebook.db'}", students)


class Sabotage(WorkerPlugin):
    """A Dask worker plugin that makes grading one student's submission go wrong on every worker, for
    real: `die` SIGKILLs the worker process as that task starts (its nanny starts a new one);
    `fail` makes that grading raise OSError in the worker."""

    idempotent = True

    def __init__(self, die: str, fail: str):
        self.die, self.fail = die, fail

    def setup(self, worker) -> None:
        import course.grading.distributed as remote

        grade, victim = remote.grade_submission, self.fail

        def failing(root, module, student, **options):
            if student == victim:
                raise OSError(28, "No space left on device (sabotaged by the test)")
            return grade(root, module, student, **options)
        remote.grade_submission = failing

    def transition(self, key, start, finish, **kwargs) -> None:
        if finish == "executing" and f"-{self.die}-" in str(key):
            os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.slow
def test_a_task_that_fails_or_kills_its_workers_fails_only_its_submission(tmp_path):
    """A LocalCluster whose workers die on one submission and raise on another: those two are
    "not graded" with the reason, every other submission is graded as expected, once."""
    import dask

    root, _ = demo_class(tmp_path / "coordinator")
    students = ["broken", "hidden_bug", "reference", "untouched"]
    dies, fails = "broken", "untouched"
    lines: list[str] = []
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), cluster_client(workers=2) as client:
        client.register_plugin(Sabotage(dies, fails), name="sabotage")
        outcomes = distributed_autograde(client, root, [MODULE], students, progress=lines.append)
    assert sorted(o.student for o in outcomes) == students, "a submission is missing or graded twice"
    status = {o.student: o.status for o in outcomes}
    assert status == {dies: "failed", "hidden_bug": "graded", "reference": "graded", fails: "failed"}, lines
    results = class_results(root, [MODULE], students)
    notes = {s: results[s][MODULE].notes for s in (dies, fails)}
    assert results[dies][MODULE].status == results[fails][MODULE].status == "not graded"
    assert any("died 2 time(s)" in n and "KilledWorker" in n for n in notes[dies]), notes[dies]
    assert any("OSError: [Errno 28] No space left on device" in n for n in notes[fails]), notes[fails]
    assert "OSError" in (root / ".build" / "logs" / MODULE / f"{fails}.log").read_text()  # the traceback
    expected = demo.expected_grades(ROOT, MODULE)
    for student in ("hidden_bug", "reference"):
        assert results[student][MODULE].points == pytest.approx({g: expected[student].get(g, 0) for g in GROUPS})
    assert_one_row_per_student_and_cell(f"sqlite:///{root / 'gradebook.db'}", ["hidden_bug", "reference"])


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run scripts/install_postgres.sh")
    return Path(found[-1]).parent


@pytest.fixture
def postgres_url():
    """A throw-away PostgreSQL server on a free port, run as the `postgres` user when we are root
    (the server refuses root); stopped and removed afterwards. Fails, never skips."""
    binaries = postgres_bin()
    base = Path(tempfile.mkdtemp(prefix="tinytorch-postgres-"))
    as_user: list[str] = []
    if os.getuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = base / "data", free_port()

    def run(*command: str) -> None:
        done = subprocess.run([*as_user, *command], capture_output=True, text=True)
        if done.returncode:
            log = (base / "server.log").read_text() if (base / "server.log").exists() else ""
            pytest.fail(f"{' '.join(command[:2])} failed ({done.returncode}):\n{done.stdout}{done.stderr}{log}")

    run(str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync")
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "server.log"), "-w", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
def test_two_coordinators_share_a_postgresql_gradebook(tmp_path, postgres_url):
    first, students = demo_class(tmp_path / "first")
    second, _ = demo_class(tmp_path / "second")
    halves = [students[::2], students[1::2]]
    with cluster_client(workers=2) as client:
        for root, half in zip((first, second), halves):
            outcomes = distributed_autograde(client, root, [MODULE], half, db_url=postgres_url,
                                             progress=lambda _: None)
            assert sorted(o.student for o in outcomes) == sorted(half)
        # the same submission again: its rows are updated, not added
        distributed_autograde(client, first, [MODULE], halves[0][:1], db_url=postgres_url, progress=lambda _: None)
    scores = gradebook_scores(postgres_url, MODULE)
    expected = demo.expected_grades(ROOT, MODULE)
    assert sorted(scores) == sorted(students)
    for student in students:
        assert group_points(scores[student]) == pytest.approx({g: expected[student].get(g, 0) for g in GROUPS}), student
    assert_one_row_per_student_and_cell(postgres_url, students)
    assert not (first / "gradebook.db").exists() and not (second / "gradebook.db").exists()


@pytest.mark.slow
def test_grade_report_feedback_and_export_read_a_postgresql_gradebook(tmp_path, postgres_url, monkeypatch, capsys):
    """`python -m course grade --db-url postgresql://…` grades on this machine into PostgreSQL;
    `report --db-url`, the feedback it makes and `nbgrader export --db` read the same gradebook."""
    import csv

    import course.__main__ as cli

    root, _ = demo_class(tmp_path / "course")
    monkeypatch.setattr(cli, "ROOT", root)
    students = ["hidden_bug", "reference"]
    select = ["--module", MODULE, *[a for s in students for a in ("--student", s)], "--db-url", postgres_url]
    assert cli.main(["grade", *select, "--jobs", "2"]) == 0, capsys.readouterr()
    graded = capsys.readouterr().out
    assert cli.main(["report", *select]) == 0
    report = capsys.readouterr().out
    expected = demo.expected_grades(ROOT, MODULE)
    for student in students:
        want = [f"{expected[student].get(g, 0):g}" for g in GROUPS]
        rows = [line.split() for line in (graded + report).splitlines() if line.startswith(student + " ")
                and "/" in line.split()[1]]
        assert [[cell.split("/")[0] for cell in row[1:1 + len(GROUPS)]] for row in rows] == [want] * 2, graded + report
        assert (root / "feedback" / student / MODULE / f"{MODULE}.html").exists()
    assert not (root / "gradebook.db").exists()
    assert_one_row_per_student_and_cell(postgres_url, students)

    (root / "exports").mkdir()  # in the repository, it holds a README
    export = subprocess.run([Path(sys.executable).parent / "nbgrader", "export", "--db", postgres_url],
                            cwd=root, capture_output=True, text=True)
    assert export.returncode == 0, export.stdout + export.stderr
    with open(root / "exports" / "grades.csv") as f:
        scores = {r["student_id"]: float(r["score"]) for r in csv.DictReader(f) if r["assignment"] == MODULE}
    assert scores == {s: pytest.approx(sum(expected[s].get(g, 0) for g in GROUPS)) for s in students}
    assert not (root / "gradebook.db").exists()

