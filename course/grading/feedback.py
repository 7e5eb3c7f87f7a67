"""Feedback without secrets: an nbgrader preprocessor for `generate_feedback`.

nbgrader's feedback shows the whole autograded notebook, hidden tests included (a known
complaint). This preprocessor, configured in nbgrader_config.py, replaces each hidden region
with a note and reduces the errors of those cells to their message, so students learn what
failed but never see the test code or a traceback into it."""
from __future__ import annotations

import re
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from ..notebooks import HIDDEN_BEGIN, HIDDEN_END

HIDDEN_NOTE = "# (hidden test code is not shown in feedback)"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_REGION = re.compile(rf"^([ \t]*){re.escape(HIDDEN_BEGIN)}\s*$.*?^[ \t]*{re.escape(HIDDEN_END)}[ \t]*$",
                     re.MULTILINE | re.DOTALL)


def hide_hidden_tests(source: str) -> str:
    "Replace every hidden-test region of a cell's source by a one-line note."
    return _REGION.sub(lambda m: m.group(1) + HIDDEN_NOTE, source)


_FRAME = re.compile(r"\bin (\w+)\(")  # "..., in relu(x)" in an IPython traceback


def error_message(output) -> str:
    """The one line a student may see of an error output: its type and message. A bare
    NotImplementedError (a release stub) names the unfinished function: the innermost frame of
    its traceback, which is the stub itself (01's test helpers let NotImplementedError through)."""
    if output.ename == "NotImplementedError" and not output.evalue:
        frames = _FRAME.findall(_ANSI.sub("", "\n".join(output.get("traceback", []))))
        what = f"{frames[-1]}() is still" if frames else "still"
        return f"NotImplementedError: {what} a stub (# YOUR CODE HERE)"
    return _ANSI.sub("", f"{output.ename}: {output.evalue}".rstrip(": "))


def hidden_lines(source: str) -> set[str]:
    "The distinctive lines (longer than 12 characters) of a cell's hidden-test regions."
    return {line.strip() for region in _REGION.finditer(source) for line in region.group(0).splitlines()[1:-1]
            if len(line.strip()) > 12}


def scrub(text: str, secret: set[str]) -> str:
    "`text` without any line that shows a secret line (a student's code may print the hidden tests)."
    lines = text.splitlines(keepends=True)
    kept = [line for line in lines if not any(s in line for s in secret)]
    removed = len(lines) - len(kept)
    return "".join(kept) + (f"[{removed} line(s) showing hidden test code removed]\n" if removed else "")


class HideHiddenTests(Preprocessor):
    """Remove hidden-test code, and tracebacks through it, from notebooks before rendering; and
    every line of any output that shows hidden-test code."""

    enabled = Bool(True).tag(config=True)  # nbconvert preprocessors are off unless enabled

    def preprocess(self, nb, resources):
        secret = set().union(*[hidden_lines(c.source) for c in nb.cells if c.cell_type == "code"])
        for cell in nb.cells:
            for output in cell.get("outputs", []) if secret else []:
                if output.output_type == "stream":
                    output.text = scrub(output.text, secret)
                elif output.output_type == "error":
                    output.evalue = scrub(output.evalue, secret)
                    output.traceback = [scrub(line, secret) for line in output.traceback]
                for mime, value in output.get("data", {}).items():
                    if isinstance(value, str) and mime.startswith("text/"):
                        output.data[mime] = scrub(value, secret)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and HIDDEN_BEGIN in cell.source:
            cell.source = hide_hidden_tests(cell.source)
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [error_message(output)]
        return cell, resources


def stale_feedback(root: Path, modules: list[str], students: list[str]) -> list[tuple[str, str]]:
    """The (module, student) pairs whose autograded notebook is newer than their feedback page (or
    has none): those (re)graded since feedback was last generated, so only they get new feedback."""
    stale = []
    for module in modules:
        for student in students:
            graded = root / "autograded" / student / module / f"{module}.ipynb"
            page = root / "feedback" / student / module / f"{module}.html"
            if graded.exists() and (not page.exists() or page.stat().st_mtime_ns < graded.stat().st_mtime_ns):
                stale.append((module, student))
    return stale


_API = None  # a worker process's nbgrader API (set by _open_api)


def _open_api(root: Path, db_url: str | None) -> None:
    global _API
    from ..build import nbgrader_api

    _API = nbgrader_api(root, db_url)


def _feedback_page(pair: tuple[str, str]) -> str | None:
    "Write one feedback page with this process's API; nbgrader's log if it failed."
    module, student = pair
    result = _API.generate_feedback(module, student_id=student, force=True)
    return None if result["success"] else f"feedback for {student} · {module} failed:\n{result['log']}"


def generate_feedback(root: Path, pairs: list[tuple[str, str]], jobs: int = 1,
                      db_url: str | None = None) -> list[str]:
    """Feedback pages for the (module, student) `pairs`, `jobs` processes at a time (nbgrader
    converts one notebook at a time, seconds each: a class of hundreds needs the cores);
    the error report of every page that failed, the others written regardless."""
    if jobs <= 1 or len(pairs) <= 1:
        _open_api(root, db_url)
        return [error for error in map(_feedback_page, pairs) if error]
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    # spawn, not fork: the coordinator may hold threads (a Dask client, a progress bar)
    with ProcessPoolExecutor(min(jobs, len(pairs)), mp_context=get_context("spawn"),
                             initializer=_open_api, initargs=(root, db_url)) as pool:
        return [error for error in pool.map(_feedback_page, pairs) if error]
