"""nbgrader configuration for the tinytorch course (the repository root is the course folder).

Every limit here is set on purpose; the grading driver (`python -m course grade`) adds the
per-module library path and the kernel guard, see course/grading/."""
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

# Grading. Each cell gets 30 s: the reference's slowest cell takes under 2 s, and performance
# tests stop measuring after their own 5 s budget. A cell that runs longer (an infinite loop)
# is interrupted and the rest of the notebook still runs.
c.Execute.timeout = 30
c.Execute.interrupt_on_timeout = True
c.Execute.startup_timeout = 60
# A student who deleted a test cell gets it back (and still gets its points if the code passes).
c.OverwriteCells.add_missing_cells = True
c.OverwriteCells.missing_cell_notification = (
    "# This cell (id:{cell_id}) was missing from the submission; the grader restored it.\n")
# OverwriteCells, except that untouched cells with hidden tests raise no "checksum has changed" warning.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "course.grading.overwrite.RestoreHiddenTests",
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
