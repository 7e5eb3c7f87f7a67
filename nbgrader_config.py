"""nbgrader configuration for the tinytorch course (the repository root is the course folder).

Every limit here is set on purpose; the grading driver (`python -m course grade`) adds the
per-module library and runs each submission in its sandbox, see course/grading/."""
import os

c = get_config()  # noqa: F821 (provided by nbgrader)

# The folder of this file, as an absolute path: nbgrader warns "root '.' is not absolute" otherwise.
COURSE = os.path.dirname(os.path.abspath(__file__))  # noqa: F821 (__file__ is set by traitlets)
c.CourseDirectory.course_id = "tinytorch"
c.CourseDirectory.root = COURSE
# `nbgrader export` writes the class's grades here (gitignored), not into the repository root.
c.ExportPlugin.to = os.path.join(COURSE, "exports", "grades.csv")

# Student notebooks: solution regions become this stub; hidden tests are removed.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Grading runs no Jupyter kernel: each submission's cells run in a bubblewrap sandbox through
# course/grading/execute.py (fail-closed), and nbgrader, outside it, records the grades.
c.Autograde.autograde_preprocessors = [
    "course.grading.execute.SandboxedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# Each cell gets 60 s of wall time: the reference's slowest cell takes under 2 s, and performance
# tests stop measuring after their own 5 s budget, but a correct solution written with Python
# loops trains 08's milestone in one cell, and that cell ran past 30 s on a grader at load
# average 10 (2 cores): it lost 3 visible points it deserved. A cell that runs longer (an
# infinite loop) is interrupted and the rest of the notebook still runs; the whole notebook gets
# 10 minutes.
c.SandboxedExecute.timeout = 60
c.SandboxedExecute.submission_timeout = 600
c.SandboxedExecute.memory_mb = 4096
c.SandboxedExecute.output_kb = 64
# A student who deleted a test cell gets it back in its place (and still gets its points if the code
# passes); RestoreHiddenTests below is a RestoreCells, so these settings apply to it.
c.RestoreCells.add_missing_cells = True
c.RestoreCells.missing_cell_notification = (
    "# This cell (id:{cell_id}) was missing from the submission; the grader restored it.\n")
# RestoreCells (nbgrader's OverwriteCells), except that untouched cells with hidden tests raise no
# "checksum has changed" warning. SkipAnalysis then replaces each locked `#| analysis` cell by a
# note: those cells measure and explain, award no points, and took 22–74 % of a reference notebook's
# cell time in 01–07 (students run them in their own notebooks; tests/test_analysis_cells.py runs them).
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "course.grading.overwrite.RestoreHiddenTests",
    "course.grading.overwrite.SkipAnalysis",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 40

# Feedback never shows hidden test code or tracebacks from it, only its failure message.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "course.grading.feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
