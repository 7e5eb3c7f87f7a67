"""How long the course machinery takes: building, and grading overhead per submission.

    .venv/bin/python benchmarks/bench_course.py

Targets (issue 3): building every module (export + source + release) ≤ 15 s; autograding one
submission costs at most a few seconds beyond running its notebook. Both are measured here in
a temporary copy of the course, side by side with plain notebook execution."""
from __future__ import annotations

import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from course import ROOT, demo  # noqa: E402
from course.build import build  # noqa: E402
from course.notebooks import read_notebook  # noqa: E402
from course.grading.autograde import grade_submission, grading_library  # noqa: E402


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_plain(root: Path, module: str, env: dict) -> None:
    """Execute what autograde executes for the reference (its solutions and the hidden tests: the
    source notebook) with nbclient alone: no nbgrader, no sandbox, the same library."""
    import os

    nb = read_notebook(root / "source" / module / f"{module}.ipynb")
    old = dict(os.environ)
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)


def main() -> None:
    logging.getLogger("traitlets").setLevel(logging.ERROR)  # the harmless "TCP without encryption" note
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for folder in ("nbs", "demo"):
            shutil.copytree(ROOT / folder, root / folder)
        for name in ("settings.ini", "nbgrader_config.py"):
            shutil.copy2(ROOT / name, root / name)
        build_time = seconds(lambda: build(root))
        modules = [p.name for p in sorted((root / "source").iterdir())]
        print(f"build of {len(modules)} modules (export + source + release): {build_time:.1f} s (target <= 15 s)")
        demo.make_submissions(root, modules)
        print(f"\n{'module':<14}{'notebook alone':>16}{'nbgrader autograde':>20}{'overhead':>10}")
        for module in modules:
            library = grading_library(root, module)
            plain = seconds(lambda: run_plain(root, module, {"PYTHONPATH": str(library)}))
            graded = grade_submission(root, module, "reference").seconds
            print(f"{module:<14}{plain:>15.1f}s{graded:>19.1f}s{graded - plain:>9.1f}s")


if __name__ == "__main__":
    main()
