"""The margins of every hidden performance test: ratio ÷ limit for the reference solution and the demo
students, measured by running the test cells themselves several times.

    python benchmarks/bench_perf_margins.py                       # every module; reference, slow, hidden_bug
    python benchmarks/bench_perf_margins.py --modules 07 13 --repeats 5

For each module and student, a child process (with the grader's library: only the modules before it)
runs the student's submission as `course demo` builds it, cell by cell, skipping `#| analysis` cells,
with each performance test cell taken from source/ (hidden part included) and run `--repeats` times;
`speed_ratio` is wrapped to record what it returns, and each call is paired with the first
`assert NAME < LIMIT` after it in the cell. The table prints min / median / max of ratio ÷ limit: the
rule (docs/AUTHORING.md) is a reference at most 1/3 of its limit and a naive student at least 10×
(30× for a per-element loop) above it; a quadratic algorithm is judged by how clearly it fails.
Students whose file does not touch the timed code run the reference there and measure the same thing."""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CALL = re.compile(r"(\w+)\s*=\s*speed_ratio\(")
_LIMIT = re.compile(r"assert\s+(\w+)\s*<\s*([0-9.]+)")


def is_perf(source: str) -> bool:
    "Whether a cell is a hidden performance test (`#| test ID points=N perf`)."
    first = source.lstrip().split("\n", 1)[0]
    return first.startswith("#| test") and first.split()[-1] == "perf"


def limits(source: str) -> list[float | None]:
    "For each `NAME = speed_ratio(` in the cell, the limit of the first `assert NAME < LIMIT` after it."
    found = []
    for call in _CALL.finditer(source):
        later = [float(m.group(2)) for m in _LIMIT.finditer(source, call.end()) if m.group(1) == call.group(1)]
        found.append(later[0] if later else None)
    return found


def cells_to_run(module: str, student: str) -> list[dict]:
    "The submission's code cells, performance tests replaced by their source (hidden) version."
    from course.demo import grade_id, submission
    from course.notebooks import read_notebook

    source = {grade_id(c): c.source for c in read_notebook(ROOT / "source" / module / f"{module}.ipynb").cells}
    cells = []
    for cell in submission(ROOT, module, student).cells:
        if cell.cell_type != "code" or cell.source.lstrip().startswith("#| analysis"):
            continue
        full = source.get(grade_id(cell), cell.source)
        perf = is_perf(full)
        cells.append({"id": grade_id(cell), "source": full if perf else cell.source, "perf": perf})
    return cells


def run_child(cells_file: str, repeats: int) -> None:
    "In the child: run the cells, each performance cell `repeats` times; print JSON results."
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    recorded: list[float] = []

    def recording(plain):
        def speed_ratio(*args, **kwargs):
            recorded.append(plain(*args, **kwargs))
            return recorded[-1]
        speed_ratio.recording = True
        return speed_ratio

    try:  # the grader's library (none while 01 is graded: 01 defines speed_ratio in the notebook)
        import tinytorch.setup as setup
        setup.speed_ratio = recording(setup.speed_ratio)
    except ImportError:
        pass
    results = []
    for cell in json.loads(Path(cells_file).read_text()):
        if not cell["perf"]:
            shell.run_cell(cell["source"], silent=True)
            continue
        own = shell.user_ns.get("speed_ratio")
        if own is not None and not getattr(own, "recording", False):
            shell.user_ns["speed_ratio"] = recording(own)
        runs, errors = [], []
        for _ in range(repeats):
            recorded.clear()
            outcome = shell.run_cell(cell["source"], silent=True)
            error = outcome.error_in_exec or outcome.error_before_exec
            if error is not None and not isinstance(error, AssertionError):
                errors.append(f"{type(error).__name__}: {error}"[:160])
            runs.append(list(recorded))
        results.append({"id": cell["id"], "limits": limits(cell["source"]), "runs": runs, "errors": errors})
    print("RESULTS " + json.dumps(results))


def measure(module: str, student: str, repeats: int) -> list[dict]:
    "Run one student's submission of `module` in a child process with the grader's library."
    from course.grading.autograde import ONE_BLAS_THREAD, grading_library

    library = grading_library(ROOT, module)
    with tempfile.TemporaryDirectory() as folder:
        cells_file = Path(folder) / "cells.json"
        cells_file.write_text(json.dumps(cells_to_run(module, student)))
        env = dict(os.environ, PYTHONPATH=str(library), MPLBACKEND="agg") | ONE_BLAS_THREAD  # as the grader runs
        done = subprocess.run([sys.executable, __file__, "--child", str(cells_file), str(repeats)], cwd=folder,
                              env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULTS ")]
    if not lines:
        raise RuntimeError(f"{module} / {student}: the child failed: {done.stderr[-2000:]}")
    return json.loads(lines[-1][len("RESULTS "):])


def rows(module: str, student: str, results: list[dict]) -> list[str]:
    "One line per speed_ratio call: ratios and ratio ÷ limit, min / median / max over the repeats."
    lines = []
    for test in results:
        for k, limit in enumerate(test["limits"]):
            ratios = [run[k] for run in test["runs"] if len(run) > k]
            if not ratios:
                lines.append(f"{module:16} {test['id']:24} {student:10} not measured {'; '.join(test['errors'])}")
                continue
            low, mid, high = min(ratios), statistics.median(ratios), max(ratios)
            margin = (f"{low / limit:7.2f} {mid / limit:7.2f} {high / limit:7.2f}" if limit else "   limit unknown")
            lines.append(f"{module:16} {test['id']:24} {student:10} {low:8.2f} {mid:8.2f} {high:8.2f} "
                         f"{limit or float('nan'):6g}  {margin}")
    return lines


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        return run_child(sys.argv[2], int(sys.argv[3]))
    sys.path.insert(0, str(ROOT))  # the course tooling (not in the child: it sees only the grader's library)
    from common import machine_note
    from course.notebooks import module_notebooks

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", nargs="*", help="module numbers or names (default: all)")
    parser.add_argument("--students", nargs="*", default=["reference", "slow", "hidden_bug"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    modules = [p.stem for p in module_notebooks(ROOT / "nbs")
               if not args.modules or any(p.stem.startswith(m) for m in args.modules)]
    print(machine_note())
    print(f"load average at start: {os.getloadavg()}; {args.repeats} runs of each performance cell")
    print(f"{'module':16} {'test':24} {'student':10} {'ratio min':>8} {'median':>8} {'max':>8} {'limit':>6}  "
          f"ratio ÷ limit: min / median / max")
    for module in modules:
        for student in args.students:
            if student not in ("reference", "untouched") and not (ROOT / "demo" / module / f"{student}.py").exists():
                continue
            try:
                print("\n".join(rows(module, student, measure(module, student, args.repeats))), flush=True)
            except RuntimeError as error:
                print(error, flush=True)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
