"""Feedback without secrets: an nbgrader preprocessor for `generate_feedback`.

nbgrader's feedback shows the whole autograded notebook, hidden tests included (a known
complaint). This preprocessor, configured in nbgrader_config.py, replaces each hidden region
with a note and reduces the errors of those cells to their message, so students learn what
failed but never see the test code or a traceback into it."""
from __future__ import annotations

import re

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


class HideHiddenTests(Preprocessor):
    """Remove hidden-test code, and tracebacks through it, from notebooks before rendering."""

    enabled = Bool(True).tag(config=True)  # nbconvert preprocessors are off unless enabled

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and HIDDEN_BEGIN in cell.source:
            cell.source = hide_hidden_tests(cell.source)
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [error_message(output)]
        return cell, resources
