"""Wall time of grading a class through Dask (a scheduler with 2 local worker processes) against
the local grader, on the same submissions, side by side (issue 12: distributed ≤ 1.2× local).

    .venv/bin/python benchmarks/bench_distributed.py [--module 03_activations] [--copies 1] [--repeats 1]

In a temporary copy of the course: the module's demo class (`--copies` times, under new names),
graded by `autograde` (with `jobs=2` when the local grader has it, else one at a time) and by
`distributed_autograde` on a LocalCluster of 2 single-threaded workers started beforehand (as a
real cluster's workers are); the distributed time includes each worker's one-off set-up of the
module (nbgrader generate_assignment, library, sandbox check), since that is paid on every run
of a freshly started cluster (started before the clock runs). Runs alternate; the grades of
both must be the same."""
from __future__ import annotations

import argparse
import inspect
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from course import demo  # noqa: E402
from course.grading.autograde import autograde  # noqa: E402
from course.grading.distributed import cluster_client, distributed_autograde  # noqa: E402
from course.grading.report import class_results  # noqa: E402
from tests.conftest import copy_course  # noqa: E402

WORKERS = 2


def make_class(root: Path, module: str, copies: int) -> list[str]:
    "The demo class of `module`, `copies` times (copy k's students are named '<student>-k')."
    students = demo.make_submissions(root, [module])
    for k in range(2, copies + 1):
        for student in students:
            shutil.copytree(root / "submitted" / student, root / "submitted" / f"{student}-{k}")
    return sorted(p.name for p in (root / "submitted").iterdir() if p.is_dir())


def grades(root: Path, module: str, students: list[str]) -> dict:
    return {s: r[module].points for s, r in class_results(root, [module], students).items()}


def local(root: Path, module: str) -> tuple[float, str]:
    "Seconds to grade the class with the local grader, and how it ran."
    jobs = {"jobs": WORKERS} if "jobs" in inspect.signature(autograde).parameters else {}
    start = time.perf_counter()
    autograde(root, [module], progress=lambda _: None, **jobs)
    return time.perf_counter() - start, f"local, jobs={WORKERS}" if jobs else "local, one at a time"


def distributed(client, root: Path, module: str) -> float:
    start = time.perf_counter()
    distributed_autograde(client, root, [module], progress=lambda _: None)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", default="03_activations")
    parser.add_argument("--copies", type=int, default=1, help="the demo class this many times")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as folder:
        root = copy_course(Path(folder) / "course")
        students = make_class(root, args.module, args.copies)
        print(f"{args.module}: {len(students)} submissions, {WORKERS} workers, on a machine with "
              f"{len(os.sched_getaffinity(0))} cores")
        for repeat in range(1, args.repeats + 1):
            local_seconds, how = local(root, args.module)
            local_grades = grades(root, args.module, students)
            with cluster_client(workers=WORKERS) as client:  # fresh workers: each pays its set-up
                client.wait_for_workers(WORKERS)
                dask_seconds = distributed(client, root, args.module)
            same = grades(root, args.module, students) == local_grades
            print(f"run {repeat}: {how}: {local_seconds:6.1f} s ({local_seconds / len(students):.1f} s per "
                  f"submission) | Dask, {WORKERS} workers: {dask_seconds:6.1f} s "
                  f"({dask_seconds / len(students):.1f} s per submission) | "
                  f"Dask / local = {dask_seconds / local_seconds:.2f}x | same grades: {'yes' if same else 'NO'}",
                  flush=True)

if __name__ == "__main__":
    main()
