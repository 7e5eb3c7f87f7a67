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
_CELL_HEADER = re.compile(r"^# %% (\w+)( \(delete\))?[ \t]*$", re.MULTILINE)


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


def read_variant(path: Path) -> dict[str, str | None]:
    "grade_id → replacement source (None: delete the cell), from a demo student file."
    text = path.read_text(encoding="utf-8")
    parts = _CELL_HEADER.split(text)
    if parts[0].strip():
        raise ValueError(f"{path}: text before the first '# %% ID' line")
    cells = {}
    for grade, delete, body in zip(parts[1::3], parts[2::3], parts[3::3]):
        cells[grade] = None if delete else body.strip("\n")
    return cells


def apply_variant(nb: nbformat.NotebookNode, variant: dict[str, str | None], path: Path) -> None:
    "Replace or delete the cells a demo student file names."
    ids = {grade_id(c) for c in nb.cells}
    unknown = sorted(set(variant) - ids)
    if unknown:
        raise ValueError(f"{path}: no cell with ID {', '.join(unknown)} in the release")
    nb.cells = [c for c in nb.cells if not (grade_id(c) in variant and variant[grade_id(c)] is None)]
    for cell in nb.cells:
        if variant.get(grade_id(cell)) is not None:
            cell.source = variant[grade_id(cell)]


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


def make_submissions(root: Path, modules: list[str]) -> list[str]:
    "Write submitted/<student>/<module>/ for every demo student; return the students."
    shutil.rmtree(root / "submitted", ignore_errors=True)
    names = students(root, modules)
    for student in names:
        for module in modules:
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
            if student not in results:
                problems.append(f"{student} · {module}: expected, but not graded")
                continue
            actual = results[student][module].points
            for group in GROUPS:
                if abs(actual[group] - expected.get(group, 0)) > 1e-9:
                    problems.append(f"{student} · {module} · {group}: got {actual[group]:g}, "
                                    f"expected {expected.get(group, 0):g}")
    return problems
