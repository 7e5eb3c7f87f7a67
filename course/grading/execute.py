"""nbgrader preprocessors that replace the kernel: the notebook runs in the sandbox, nbgrader
(outside it) records the grades. Configured in nbgrader_config.py, so plain `nbgrader autograde`
is sandboxed too.

* `RestoreCells` (instead of OverwriteCells): also puts back deleted locked cells, and inserts a
  deleted cell after the nearest cell before it that the submission still has (nbgrader 0.9.6
  crashes with a KeyError when that cell is a locked cell without points).
* `SandboxedExecute` (instead of Execute): runs the code cells one by one through
  course/grading/sandbox.py. A graded test cell keeps its points only with a signed verdict
  from the harness that the course's own test code ran to its end, and only while no tampering
  with the interpreter has been seen; otherwise it gets an error output (which nbgrader scores
  0). Tampering that was undone is noted in the cell's output with TAMPER_TAG.
"""
from __future__ import annotations

import os
from pathlib import Path

from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor, OverwriteCells
from traitlets import Float, Integer

from .sandbox import ChannelError, Limits, Session

TAMPER_TAG = "[grader: tampering]"
TRUNCATED_TAG = "[grader: output truncated]"


def cell_kind(cell: NotebookNode) -> str:
    "'test' (graded, not a solution), 'instructor' (locked) or 'student' (what students wrote)."
    if utils.is_grade(cell) and not utils.is_solution(cell):
        return "test"
    if utils.is_locked(cell) and not utils.is_solution(cell):
        return "instructor"
    return "student"


class RestoreCells(OverwriteCells):
    """OverwriteCells, restoring every deleted graded or locked cell in its place."""

    def add_missing_grade_cells(self, nb, resources):
        source = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        graded = {c.name: c for c in source.grade_cells}
        solutions = {c.name for c in source.solution_cells}
        present = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
        previous = None
        for cell in source.source_cells:
            if cell.name not in present and (cell.name in graded or cell.locked):
                restored = self.missing_cell_transform(cell, graded[cell.name].max_score if cell.name in graded else 0,
                                                       is_solution=cell.name in solutions)
                if cell.name not in graded:  # a locked cell without points
                    restored["metadata"]["nbgrader"]["grade"] = False
                    restored["metadata"]["nbgrader"].pop("points", None)
                at = next((i + 1 for i, c in enumerate(nb.cells)
                           if c.metadata.get("nbgrader", {}).get("grade_id") == previous), 0)
                nb.cells.insert(at, restored)
                present.add(cell.name)
            previous = cell.name
        return nb, resources


def _error(name: str, message: str) -> NotebookNode:
    return new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


def _stream(text: str, name: str = "stdout") -> NotebookNode:
    return new_output("stream", name=name, text=text)


class SandboxedExecute(NbGraderPreprocessor):
    """Execute a notebook's code cells in a per-submission sandbox (see course/grading/sandbox.py)."""

    timeout = Integer(60, help="seconds for each cell").tag(config=True)
    submission_timeout = Integer(600, help="seconds for the whole notebook").tag(config=True)
    memory_mb = Integer(4096, help="address space of the notebook's process, in MiB").tag(config=True)
    output_kb = Integer(64, help="output kept per cell, in KiB (the rest is dropped)").tag(config=True)
    file_mb = Integer(64, help="largest file the notebook may write, in MiB").tag(config=True)
    processes = Integer(64, help="processes and threads the sandbox may hold at once").tag(config=True)
    startup_timeout = Float(60, help="seconds for the sandbox to start").tag(config=True)

    def limits(self) -> Limits:
        return Limits(cell_seconds=self.timeout, submission_seconds=self.submission_timeout,
                      memory_mb=self.memory_mb, file_mb=self.file_mb, output_bytes=self.output_kb * 1024,
                      processes=self.processes)

    def preprocess(self, nb, resources):
        from .autograde import grading_library, library_folder, log_path

        course = Path(os.getcwd())
        module, student = resources["nbgrader"]["assignment"], resources["nbgrader"]["student"]
        library = library_folder(course, module)
        if not library.exists():  # plain `nbgrader autograde`, before any `python -m course grade`
            grading_library(course, module)
        submission = course / "submitted" / student / module
        log = log_path(course, module, student).with_suffix(".sandbox.log")
        session = Session(course, library, submission, log, self.limits())
        stopped = ""
        try:
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                cell.outputs = []
                kind = cell_kind(cell)
                if stopped:
                    if kind == "test":
                        cell.outputs.append(_error("NotRun", stopped))
                    continue
                try:
                    answer = session.run(index, kind, cell.source)
                except ChannelError as e:
                    stopped = (f"the notebook's process was stopped before this cell ({e}); "
                               "it ran past its time limit, exited or crashed")
                    cell.outputs.append(_error("CellTimeoutError" if "in time" in str(e) else "DeadKernelError",
                                               f"the cell did not finish: {e}"))
                    continue
                cell.outputs = [new_output(**o) for o in answer.outputs]
                if answer.restored:
                    cell.outputs.insert(0, _stream(f"{TAMPER_TAG} {', '.join(answer.restored)}: "
                                                   "put back before this cell ran\n"))
                if kind == "test":
                    self._judge(cell, answer)
        finally:
            session.close()
        return nb, resources

    @staticmethod
    def _judge(cell, answer) -> None:
        "Make sure a test cell without a trustworthy verdict has an error output (0 points)."
        errors = [o for o in cell.outputs if o.output_type == "error"]
        passed = answer.passed and not answer.refused
        if answer.refused:
            cell.outputs.insert(0, _stream(f"{TAMPER_TAG} {'; '.join(answer.refused)}: this test does not count\n"))
            cell.outputs.append(_error("GraderTampering", "not counted: " + "; ".join(answer.refused)))
        elif answer.untrusted:
            events = ", ".join(sorted(set(answer.untrusted)))
            cell.outputs.insert(0, _stream(f"{TAMPER_TAG} the notebook reached into the interpreter "
                                           f"({events}); no test after that counts\n"))
            cell.outputs.append(_error("GraderTampering", f"not counted: the notebook used {events}"))
        elif not passed and not errors:
            cell.outputs.append(_error("NoVerdict", "the test code did not run to its end"))
        elif passed and errors:
            cell.outputs = [o for o in cell.outputs if o.output_type != "error"]
