"""nbgrader's OverwriteCells (as RestoreCells: deleted cells restored in place) without its false alarm
on hidden tests, and analysis cells left out of grading (both configured in nbgrader_config.py).

`nbgrader generate_assignment` saves each test cell to the gradebook with its hidden tests and then
removes them from the release. So when grading, every untouched cell with hidden tests differs from
the gradebook, and nbgrader warns "Attribute 'checksum' for cell hidden_* has changed!" for each
(nbgrader issue #1961), which hides the warnings that matter: a student who did edit a locked cell.
Here a locked cell that is exactly its released version (the gradebook's source, hidden tests
removed as generate_assignment removes them) gets its hidden tests back before nbgrader checks it;
any other change is still reported and undone by nbgrader."""
from __future__ import annotations

import nbformat
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor

from ..notebooks import cell_role
from .execute import RestoreCells


def released_source(source: str) -> str:
    "A test cell's source as the release shows it: hidden-test regions removed, as nbgrader removes them."
    cell = nbformat.v4.new_code_cell(source)
    ClearHiddenTests()._remove_hidden_test_region(cell)
    return cell.source


class RestoreHiddenTests(RestoreCells):
    "RestoreCells that puts an untouched cell's hidden tests back silently (see the module docstring)."

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None and cell.metadata.nbgrader.get("locked"):
            try:
                source = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id).source
            except MissingEntry:
                source = None
            if source is not None and source != cell.source and released_source(source) == cell.source:
                cell.source = source
        return super().preprocess_cell(cell, resources, cell_index)


ANALYSIS_NOT_RUN = ("# Analysis cell: not run when grading (it measures and explains, and awards no points).\n"
                    "# Run it in your own notebook to see its reading of your code.\n")


class SkipAnalysis(NbGraderPreprocessor):
    """Leave the course's analysis cells (`#| analysis`: measurements with confidence intervals)
    out of grading: they award no points, yet they are among the costliest cells of a notebook
    (22–74 % of the cell time of a 01–07 reference), and a class of hundreds pays for them once
    per submission. Only locked cells are touched, after RestoreCells has put the course's source
    back, so a student can neither skip a test nor add an analysis cell that escapes grading.
    Configured in nbgrader_config.py; remove it there to run them."""

    def preprocess_cell(self, cell, resources, cell_index):
        meta = cell.metadata.get("nbgrader", {})
        if (cell.cell_type == "code" and meta.get("locked") and not meta.get("grade")
                and not meta.get("solution") and _is_analysis(cell.source)):
            cell.source = ANALYSIS_NOT_RUN
        return cell, resources


def _is_analysis(source: str) -> bool:
    try:
        return cell_role(source).analysis
    except ValueError:  # not the course's own cell: run it as it is
        return False
