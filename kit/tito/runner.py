"""Running a student's work headless: a notebook's visible tests, and a module's checkpoint.

Both run against the student's own library: its folder goes first on PYTHONPATH of a fresh
kernel or process, so nothing else named `tinytorch` can stand in for it."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterator

CELL_TIMEOUT = 60  # seconds per cell: then the cell is interrupted and the notebook goes on


@dataclass
class TestResult:
    "One visible test cell: its id, what it checks (its first comment line), and the error it raised."
    grade_id: str
    about: str
    passed: bool
    message: str = ""


def _body(source: str) -> list[str]:
    "The lines of a cell that are code: not blank, not directives, not comments."
    return [line for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _about(source: str) -> str:
    comments = [line.lstrip("# ").strip() for line in source.splitlines()
                if line.lstrip().startswith("#") and not line.lstrip().startswith("#|")]
    return comments[0] if comments else ""


def visible_test_cells(nb) -> list[int]:
    "Indices of the graded cells that hold test code (hidden and performance tests are empty in a release)."
    return [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            and cell.metadata.get("nbgrader", {}).get("grade") and _body(cell.source)]


def kernel_environment(library_root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    env["PYTHONPATH"] = str(library_root)
    return env


def run_notebook_tests(notebook: Path, library_root: Path) -> list[TestResult]:
    """Execute `notebook` top to bottom in a fresh kernel (errors do not stop it) and report each
    visible test cell with the message it printed, as the student would see it in JupyterLab."""
    from nbclient import NotebookClient

    from ._course.notebooks import NotebookError, read_notebook

    from nbclient.exceptions import DeadKernelError

    nb = read_notebook(notebook)
    running: list[int] = []  # the index of the cell being run
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, interrupt_on_timeout=True, allow_errors=True,
                            kernel_name="python3", resources={"metadata": {"path": str(notebook.parent)}},
                            on_cell_start=lambda cell, cell_index: running.append(cell_index))
    try:  # the kernel's own log (a harmless warning about TCP) stays out of the student's terminal
        client.execute(env=kernel_environment(library_root), stderr=subprocess.DEVNULL)
    except DeadKernelError:
        grade_id = nb.cells[running[-1]].metadata.get("nbgrader", {}).get("grade_id") if running else None
        where = f" while running cell {running[-1] + 1}" + (f" ('{grade_id}')" if grade_id else "") if running else ""
        raise NotebookError(notebook, f"the kernel died{where} (out of memory, or code that ends the process): "
                                      "run the notebook in JupyterLab to see where") from None
    results = []
    for index in visible_test_cells(nb):
        cell = nb.cells[index]
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        message = error_message(errors[0]) if errors else ""
        results.append(TestResult(cell.metadata["nbgrader"]["grade_id"], _about(cell.source), not errors, message))
    return results


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_FRAME = re.compile(r"\bin (\w+)\(")


def error_message(output: dict) -> str:
    """An error output as `Type: message`; for a bare NotImplementedError, the unfinished function
    it came from (the innermost frame of its traceback)."""
    message = f"{output['ename']}: {output['evalue']}".rstrip(": ")
    if output["ename"] == "NotImplementedError" and not output["evalue"]:
        frames = _FRAME.findall(_ANSI.sub("", "\n".join(output.get("traceback", []))))
        where = f"{frames[-1]}() " if frames else "a part it uses "
        message = f"NotImplementedError: {where}is still a stub (# YOUR CODE HERE)"
    return message


# --- checkpoints --------------------------------------------------------------------------------------

@dataclass
class Step:
    "One `check_*` function of a checkpoint and how it went."
    name: str
    about: str
    passed: bool
    message: str
    seconds: float


def run_checkpoint(checkpoint: Path, library_root: Path, timeout: float = 300) -> Iterator[Step]:
    """Run the checkpoint file's steps in a fresh process with the student's library first on the
    path, yielding each step as it finishes (for a progress display)."""
    command = [sys.executable, "-m", "tito.runner", str(checkpoint)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=kernel_environment(library_root), cwd=library_root)
    deadline = time.monotonic() + timeout
    for line in process.stdout:
        if line.startswith("{"):
            yield Step(**json.loads(line))
        if time.monotonic() > deadline:
            process.kill()
            yield Step("timeout", "", False, f"the checkpoint ran longer than {timeout:.0f} s", timeout)
            return
    process.wait()
    if process.returncode:
        error = process.stderr.read().strip().splitlines()
        yield Step("checkpoint", "", False, error[-1] if error else f"exit code {process.returncode}", 0.0)


def _steps(path: Path) -> list[tuple[str, Callable[[], object]]]:
    namespace: dict = {"__name__": "checkpoint", "__file__": str(path)}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return [(name, fn) for name, fn in namespace.items() if name.startswith("check_") and callable(fn)]


def _main(path: Path) -> int:
    "Child process: run every step, one JSON line each; a failed step stops the checkpoint."
    for name, fn in _steps(path):
        start = time.perf_counter()
        try:
            fn()
            passed, message = True, ""
        except Exception as error:  # the student's library may raise anything: report it
            passed, message = False, f"{type(error).__name__}: {error}"
        step = Step(name.removeprefix("check_"), (fn.__doc__ or "").strip(), passed, message,
                    time.perf_counter() - start)
        print(json.dumps(asdict(step)), flush=True)
        if not passed:
            break
    return 0


if __name__ == "__main__":
    sys.exit(_main(Path(sys.argv[1])))
