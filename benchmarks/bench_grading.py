"""What grading costs per submission beyond executing the notebook (issue 11: ≤ 2 s), where that
time goes, how much faster `--jobs 2` grades a class than `--jobs 1` (issue 12: ≥ 1.7× on 2 cores),
and whether performance tests still separate a correct solution from a loop.

    .venv/bin/python benchmarks/bench_grading.py [--module 01_setup] [--repeats 3] [--perf-runs 20]
                                                 [--class-size 20] [--only overhead|speedup|perf ...]

In a temporary copy of the course, side by side, interleaved, for the reference submission:
* plain: the autograded notebook's cells executed by nbclient in a Jupyter kernel (no sandbox,
  no nbgrader), with the same grading library on PYTHONPATH: the cost of executing the notebook;
* sandboxed: the same cells through course.grading.sandbox.Session (bwrap, harness, guard);
* graded: the whole `grade_submission` (nbgrader autograde process + sandbox + gradebook).
Then the parts of the overhead, each timed on its own: starting Python and importing nbgrader
(as course/grading/launch.py does, and as the plain `nbgrader` script would), starting and
stopping an empty sandbox, and generating one student's feedback.
Then `--class-size` copies of the reference submission graded with `autograde(jobs=1)` and
`autograde(jobs=2)`, one after the other in this run: wall time and speed-up, and how many of the
copies graded with both workers busy kept every performance point.
Then `--perf-runs` sandboxed runs of the reference and of the demo's slow student, counting how
often each passes the performance tests (the reference must always pass, the loop never)."""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from course import demo  # noqa: E402
from course.build import nbgrader_api, write_notebook  # noqa: E402
from course.grading.autograde import autograde, check_sandbox, grade_submission, grading_library, log_path  # noqa: E402
from course.grading.execute import cell_kind  # noqa: E402
from course.grading.report import class_results  # noqa: E402
from course.grading.sandbox import Session  # noqa: E402
from course.notebooks import read_notebook  # noqa: E402
from tests.conftest import copy_course  # noqa: E402


def plain(nb, library: Path) -> float:
    "Seconds to execute the notebook's code cells in a fresh Jupyter kernel (nbclient)."
    from nbclient import NotebookClient

    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(library)
    start = time.perf_counter()
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    finally:
        os.environ.pop("PYTHONPATH") if old is None else os.environ.__setitem__("PYTHONPATH", old)
    return time.perf_counter() - start


def sandboxed(root: Path, module: str, student: str, nb, library: Path) -> tuple[float, dict[int, bool]]:
    "Seconds to run the notebook in the sandbox, and the verdict of each test cell."
    start = time.perf_counter()
    session = Session(root, library, root / "submitted" / student / module,
                      log_path(root, module, student).with_suffix(".bench.log"))
    verdicts = {}
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                answer = session.run(index, cell_kind(cell), cell.source)
                if cell_kind(cell) == "test":
                    verdicts[index] = answer.passed and not answer.refused and not answer.untrusted
    finally:
        session.close()
    return time.perf_counter() - start, verdicts


def seconds(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


_IMPORT = "import sys; {block}from nbgrader.apps.nbgraderapp import main"


def parts(root: Path, module: str, repeats: int) -> dict[str, float]:
    "Median seconds of each part of a submission's grading that is not the notebook itself."
    start = {name: [sys.executable, "-c", _IMPORT.format(block=block)] for name, block in (
        ("python + nbgrader import (launch.py)", "sys.modules['rfc3987_syntax'] = None; "),
        ("python + nbgrader import (plain script)", ""))}
    api = nbgrader_api(root)
    times: dict[str, list[float]] = {name: [] for name in [*start, "sandbox start + stop (empty)", "feedback, one student"]}
    for _ in range(repeats):
        for name, command in start.items():
            times[name].append(seconds(lambda: subprocess.run(command, check=True)))
        times["sandbox start + stop (empty)"].append(seconds(lambda: check_sandbox(root)))
        times["feedback, one student"].append(seconds(lambda: api.generate_feedback(module, student_id="reference", force=True)))
    return {name: statistics.median(values) for name, values in times.items()}


def speedup(root: Path, module: str, size: int) -> tuple[dict[int, float], int]:
    """Wall seconds to grade `size` copies of the reference submission with 1 and with 2 jobs, and how
    many copies kept every performance point in the run with 2 jobs (both workers busy)."""
    reference = demo.submission(root, module, "reference")
    names = [f"student{i:02}" for i in range(size)]
    for name in names:
        write_notebook(reference, root / "submitted" / name / module / f"{module}.ipynb")
    wall = {}
    for jobs in (1, 2):
        wall[jobs] = seconds(lambda: autograde(root, [module], names, progress=lambda _: None, jobs=jobs, regrade=True))
    results = class_results(root, [module], names)
    full = sum(r[module].points["performance"] == r[module].maximum["performance"] for r in results.values())
    return wall, full


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", default="01_setup")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--perf-runs", type=int, default=20)
    parser.add_argument("--class-size", type=int, default=20)
    parser.add_argument("--only", nargs="+", choices=["overhead", "speedup", "perf"],
                        default=["overhead", "speedup", "perf"], help="run only these parts")
    args = parser.parse_args()
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    module = args.module
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_course(Path(tmp))
        for student in ("reference", "slow"):
            write_notebook(demo.submission(root, module, student), root / "submitted" / student / module / f"{module}.ipynb")
        nbgrader_api(root).generate_assignment(module, force=True)
        library = grading_library(root, module)
        os.chdir(root)  # nbgrader preprocessors take the course from the working folder
        grade_submission(root, module, "reference")  # warm caches; gives the autograded notebook
        graded_nb = read_notebook(root / "autograded" / "reference" / module / f"{module}.ipynb")
        if "overhead" in args.only:
            times = {"plain": [], "sandboxed": [], "graded": []}
            for _ in range(args.repeats):  # interleaved, so that machine load hits all three alike
                times["plain"].append(plain(read_notebook(root / "autograded" / "reference" / module / f"{module}.ipynb"), library))
                times["sandboxed"].append(sandboxed(root, module, "reference", graded_nb, library)[0])
                times["graded"].append(grade_submission(root, module, "reference").seconds)
            base = statistics.median(times["plain"])
            print(f"{module}, reference submission, median of {args.repeats} interleaved runs:")
            for name, values in times.items():
                median = statistics.median(values)
                print(f"  {name:<10} {median:6.2f} s   ratio to plain {median / base:4.2f}   "
                      f"extra {median - base:+5.2f} s   (runs: {', '.join(f'{v:.2f}' for v in values)})")
            print(f"  overhead per submission (graded - plain): {statistics.median(times['graded']) - base:+.2f} s")
            print(f"parts of it, median of {args.repeats}:")
            for name, value in parts(root, module, args.repeats).items():
                print(f"  {name:<42} {value:6.2f} s")
        if "speedup" in args.only:
            wall, full = speedup(root, module, args.class_size)
            print(f"{args.class_size} submissions of {module}: --jobs 1 {wall[1]:.1f} s, --jobs 2 {wall[2]:.1f} s, "
                  f"speed-up {wall[1] / wall[2]:.2f}x (target >= 1.7x on 2 cores; {os.cpu_count()} cores here); "
                  f"all performance points kept with both workers busy: {full}/{args.class_size}")
        if "perf" in args.only:
            perf = [i for i, c in enumerate(graded_nb.cells) if cell_kind(c) == "test"
                    and c.source.startswith("#| test") and " perf" in c.source.splitlines()[0]]
            slow_nb = read_notebook(root / "autograded" / "reference" / module / f"{module}.ipynb")
            slow_cells = {demo.grade_id(c): c.source for c in demo.submission(root, module, "slow").cells}
            for cell in slow_nb.cells:
                if cell_kind(cell) == "student" and demo.grade_id(cell) in slow_cells:
                    cell.source = slow_cells[demo.grade_id(cell)]
            passes = {"reference": 0, "slow": 0}
            for _ in range(args.perf_runs):
                for student, nb in (("reference", graded_nb), ("slow", slow_nb)):
                    verdicts = sandboxed(root, module, student, nb, library)[1]
                    passes[student] += all(verdicts[i] for i in perf)
            print(f"performance tests ({len(perf)} cells) passed in {args.perf_runs} sandboxed runs: "
                  f"reference {passes['reference']}/{args.perf_runs}, slow loop {passes['slow']}/{args.perf_runs}")
        shutil.rmtree(root / "autograded", ignore_errors=True)


if __name__ == "__main__":
    main()
