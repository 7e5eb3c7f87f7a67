"""The bundled demo class: submissions made from the release, graded for real.

Students (per module): `reference` (every solution filled in from the source), `untouched`
(the release as given), and one per file in demo/NN_name/ (`slow.py`, `hidden_bug.py`,
`broken.py`, `tamperer.py`, ...), each the reference with some cells replaced or deleted. A
student without a file for a module submits the reference there."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat

from .build import write_notebook
from .notebooks import GROUPS, read_notebook, strip_marker_lines

BUILT_IN = ("reference", "untouched")
_CELL_HEADER = re.compile(r"^# %% (\w+)(?: \((delete|edit)\))?[ \t]*$", re.MULTILINE)
# In an `(edit)` cell: each change to the reference cell as a hunk, `old` found exactly once.
_HUNK = re.compile(r"^<<<<<<< reference\n(.*?)^=======\n(.*?)^>>>>>>> student$", re.MULTILINE | re.DOTALL)

Edit = list[tuple[str, str]]  # (text of the reference cell, what the student wrote instead)


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def reference_submission(root: Path, module: str) -> nbformat.NotebookNode:
    "The release notebook with every solution cell filled in as in the source."
    source = {grade_id(c): c.source for c in read_notebook(root / "source" / module / f"{module}.ipynb").cells}
    nb = read_notebook(root / "release" / module / f"{module}.ipynb")
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = strip_marker_lines(source[grade_id(cell)])
    return nb


def read_variant(path: Path) -> dict[str, str | Edit | None]:
    """grade_id → what the demo student's cell is: a whole replacement source, an Edit of the
    reference cell (hunks), or None (the cell is deleted), from a demo student file."""
    text = path.read_text(encoding="utf-8")
    parts = _CELL_HEADER.split(text)
    if parts[0].strip():
        raise ValueError(f"{path}: text before the first '# %% ID' line")
    cells: dict[str, str | Edit | None] = {}
    for grade, kind, body in zip(parts[1::3], parts[2::3], parts[3::3]):
        if kind == "delete":
            cells[grade] = None
        elif kind == "edit":
            hunks = [(old[:-1], new[:-1]) for old, new in _HUNK.findall(body)]  # without the last newline
            if not hunks:
                raise ValueError(f"{path}: edit of cell {grade} has no '<<<<<<< reference' hunk")
            cells[grade] = hunks
        else:
            cells[grade] = body.strip("\n")
    return cells


def apply_edit(source: str, hunks: Edit, where: str) -> str:
    "`source` with each hunk's reference text (which must occur exactly once) replaced by the student's."
    for old, new in hunks:
        count = source.count(old)
        if count != 1:
            raise ValueError(f"{where}: the reference text of a hunk occurs {count} times in the cell "
                             f"(it must occur once): {old.splitlines()[0]!r}")
        source = source.replace(old, new)
    return source


def apply_variant(nb: nbformat.NotebookNode, variant: dict[str, str | Edit | None], path: Path) -> None:
    "Replace, edit or delete the cells a demo student file names."
    ids = {grade_id(c) for c in nb.cells}
    unknown = sorted(set(variant) - ids)
    if unknown:
        raise ValueError(f"{path}: no cell with ID {', '.join(unknown)} in the release")
    nb.cells = [c for c in nb.cells if not (grade_id(c) in variant and variant[grade_id(c)] is None)]
    for cell in nb.cells:
        change = variant.get(grade_id(cell))
        if isinstance(change, str):
            cell.source = change
        elif change is not None:
            cell.source = apply_edit(cell.source, change, f"{path}, cell {grade_id(cell)}")


def students(root: Path, modules: list[str]) -> list[str]:
    """All demo students: the built-in ones, then those with a file in any module's folder or
    named in any module's expected.json."""
    named = {p.stem for m in modules for p in (root / "demo" / m).glob("*.py")}
    named |= {s for m in modules for s in expected_grades(root, m)}
    return list(BUILT_IN) + sorted(named - set(BUILT_IN))


def submission(root: Path, module: str, student: str) -> nbformat.NotebookNode:
    if student == "untouched":
        return read_notebook(root / "release" / module / f"{module}.ipynb")
    nb = reference_submission(root, module)
    variant_file = root / "demo" / module / f"{student}.py"
    if variant_file.exists():
        apply_variant(nb, read_variant(variant_file), variant_file)
    return nb


def reference_copy(root: Path, module: str, student: str) -> bool:
    """Whether `student` hands in `module`'s reference solution unchanged (a generated student,
    e.g. the tamperer, with no variant for that module: its grade is the reference's)."""
    return student not in BUILT_IN and not (root / "demo" / module / f"{student}.py").exists()


def make_submissions(root: Path, modules: list[str], reference_copies: bool = True) -> list[str]:
    """Write submitted/<student>/<module>/ for every demo student; return the students.
    `reference_copies=False` leaves out the submissions that only repeat the reference (the test
    suite grades each distinct submission once; the demo grades the whole class)."""
    shutil.rmtree(root / "submitted", ignore_errors=True)
    names = students(root, modules)
    for student in names:
        for module in modules:
            if not reference_copies and reference_copy(root, module, student):
                continue
            folder = root / "submitted" / student / module
            write_notebook(submission(root, module, student), folder / f"{module}.ipynb")
            (folder / "timestamp.txt").write_text("2026-09-01 12:00:00.000000 UTC\n")
    return names


def expected_grades(root: Path, module: str) -> dict[str, dict[str, float]]:
    "Student → group → points for `module`, from demo/NN_name/expected.json ({} if there is none yet)."
    path = root / "demo" / module / "expected.json"
    return json.loads(path.read_text()) if path.exists() else {}


def grade_mismatches(root: Path, results, modules: list[str]) -> list[str]:
    "Where the graded demo class differs from demo/NN_name/expected.json."
    problems = []
    for module in modules:
        for student, expected in expected_grades(root, module).items():
            result = results.get(student, {}).get(module)
            if (result is None or result.status == "not submitted") and reference_copy(root, module, student):
                continue  # left out on purpose (make_submissions)
            if result is None:
                problems.append(f"{student} · {module}: expected, but not graded")
                continue
            actual = result.points
            for group in GROUPS:
                if abs(actual[group] - expected.get(group, 0)) > 1e-9:
                    problems.append(f"{student} · {module} · {group}: got {actual[group]:g}, "
                                    f"expected {expected.get(group, 0):g}")
    return problems


def reference_errors(root: Path, modules: list[str]) -> list[str]:
    """Every cell of the reference's autograded notebooks that printed an error: the reference
    solution must run from top to bottom in the grader's sandbox, not only pass its tests."""
    problems = []
    for module in modules:
        graded = root / "autograded" / "reference" / module / f"{module}.ipynb"
        if not graded.exists():
            problems.append(f"reference · {module}: no autograded notebook")
            continue
        for index, cell in enumerate(read_notebook(graded).cells):
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    problems.append(f"reference · {module} · cell {index} "
                                    f"({cell.metadata.get('nbgrader', {}).get('grade_id')}): "
                                    f"{output.ename}: {output.evalue}"[:300])
    return problems
