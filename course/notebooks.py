"""Reading module notebooks: directives, cell roles and the checks the build relies on.

A module notebook (`nbs/NN_name.ipynb`) marks each code cell's role with nbdev-style `#|`
directives; docs/AUTHORING.md describes them. Everything else in the build asks this module what
a cell is, so the rules live in one place.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MARKERS = (SOLUTION_BEGIN, SOLUTION_END, HIDDEN_BEGIN, HIDDEN_END)

#: Test groups, in the order the grade table shows them.
GROUPS = ("visible", "hidden", "performance")

_DIRECTIVE = re.compile(r"^\s*#\|\s*(.*?)\s*$")
_GRADE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_MODULE_FILE = re.compile(r"^\d\d_[a-z0-9_]+\.ipynb$")


class NotebookError(ValueError):
    """A module notebook breaks an authoring rule; the message names the notebook and cell."""

    def __init__(self, notebook: Path | str, message: str, cell: int | None = None):
        where = f"{notebook}" if cell is None else f"{notebook}, cell {cell}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class CellRole:
    """What one code cell is for. `kind` is 'solution', 'test' or 'code'; `analysis` marks a code
    cell that measures and prints its reading of the numbers (docs/AUTHORING.md, analysis cells)."""

    kind: str
    grade_id: str | None = None
    points: float = 0.0
    exported: bool = False
    perf: bool = False
    hidden: bool = False
    analysis: bool = False

    @property
    def group(self) -> str | None:
        "The grade-table group of a test cell: 'visible', 'hidden' or 'performance'."
        if self.kind != "test":
            return None
        return "performance" if self.perf else "hidden" if self.hidden else "visible"


def module_notebooks(nbs_dir: Path) -> list[Path]:
    "The module notebooks in `nbs_dir`, in course order (their number prefix)."
    return sorted(p for p in Path(nbs_dir).glob("*.ipynb") if _MODULE_FILE.match(p.name))


def read_notebook(path: Path) -> nbformat.NotebookNode:
    "Read a notebook, turning unreadable JSON into a NotebookError that names the file."
    try:
        return nbformat.read(str(path), as_version=4)
    except (json.JSONDecodeError, nbformat.reader.NotJSONError) as e:
        raise NotebookError(path, f"not valid notebook JSON ({e})") from None
    except Exception as e:  # nbformat raises several validation error types
        raise NotebookError(path, f"cannot be read as a notebook ({type(e).__name__}: {e})") from None


def directives(source: str) -> list[list[str]]:
    "The leading `#|` directive lines of a cell, each split into words."
    found = []
    for line in source.splitlines():
        if not line.strip():
            continue
        match = _DIRECTIVE.match(line)
        if not match:
            break
        found.append(match.group(1).split())
    return found


def _marker_lines(source: str, begin: str, end: str) -> list[str]:
    return [line.strip() for line in source.splitlines() if line.strip() in (begin, end)]


def _check_balanced(source: str, begin: str, end: str) -> int:
    """Number of begin/end regions; raises ValueError if they are unbalanced or nested."""
    depth, regions = 0, 0
    for marker in _marker_lines(source, begin, end):
        depth += 1 if marker == begin else -1
        if depth not in (0, 1):
            raise ValueError(f"'{begin}'/'{end}' markers are unbalanced or nested")
        regions += marker == begin
    if depth:
        raise ValueError(f"'{begin}' has no matching '{end}'")
    return regions


def _parse_test(words: list[str]) -> tuple[str, float, bool]:
    "Parse the words after `test`: `ID points=N [perf]`."
    if not words:
        raise ValueError("'#| test' needs an ID: '#| test ID points=N [perf]'")
    grade_id, points, perf = words[0], None, False
    for word in words[1:]:
        if word == "perf":
            perf = True
        elif word.startswith("points="):
            try:
                points = float(word.removeprefix("points="))
            except ValueError:
                raise ValueError(f"points must be a number, got '{word}'") from None
        else:
            raise ValueError(f"unknown word '{word}' in '#| test' (expected points=N or perf)")
    if points is None or points <= 0:
        raise ValueError(f"test '{grade_id}' needs positive points: '#| test {grade_id} points=N'")
    return grade_id, int(points) if points.is_integer() else points, perf


def cell_role(source: str) -> CellRole:
    """Classify a code cell from its directives and markers.

    Raises ValueError (without location; callers add it) when the cell breaks a rule."""
    words = directives(source)
    names = [w[0] for w in words if w]
    exported = "export" in names or "exporti" in names  # exporti: exported, not in __all__
    analysis = "analysis" in names
    solutions = _check_balanced(source, SOLUTION_BEGIN, SOLUTION_END)
    hidden = _check_balanced(source, HIDDEN_BEGIN, HIDDEN_END)
    solution_dirs = [w for w in words if w and w[0] == "solution"]
    test_dirs = [w for w in words if w and w[0] == "test"]
    if solution_dirs and test_dirs:
        raise ValueError("a cell cannot be both '#| solution' and '#| test'")
    if hidden and not test_dirs:
        raise ValueError("hidden tests may only appear in a '#| test' cell"
                         + (" (this cell is exported to the library)" if exported else ""))
    if analysis and (exported or solution_dirs or test_dirs):
        raise ValueError("an '#| analysis' cell measures and prints; it cannot be exported, a solution or a test")
    if test_dirs:
        if exported:
            raise ValueError("a '#| test' cell cannot be exported")
        if solutions:
            raise ValueError("a '#| test' cell cannot contain solution markers")
        grade_id, points, perf = _parse_test(test_dirs[0][1:])
        if perf and not hidden:
            raise ValueError(f"performance test '{grade_id}' must be hidden: wrap it in "
                             f"'{HIDDEN_BEGIN}' / '{HIDDEN_END}'")
        role = CellRole("test", grade_id, points, perf=perf, hidden=bool(hidden))
    elif solution_dirs:
        if len(solution_dirs[0]) != 2:
            raise ValueError("'#| solution' takes exactly one ID: '#| solution ID'")
        if not solutions:
            raise ValueError(f"'#| solution {solution_dirs[0][1]}' has no "
                             f"'{SOLUTION_BEGIN}' / '{SOLUTION_END}' region")
        role = CellRole("solution", solution_dirs[0][1], exported=exported)
    else:
        if solutions:
            raise ValueError("solution markers need a '#| solution ID' directive")
        role = CellRole("code", exported=exported, analysis=analysis)
    if role.grade_id is not None and not _GRADE_ID.match(role.grade_id):
        raise ValueError(f"ID '{role.grade_id}' must be lower_snake_case (letters, digits, _)")
    return role


def cell_roles(nb: nbformat.NotebookNode, path: Path | str) -> list[CellRole | None]:
    """The role of every cell (None for markdown/raw), after checking the notebook's rules."""
    roles: list[CellRole | None] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            if any(m in line for line in cell.source.splitlines() for m in MARKERS):
                raise NotebookError(path, "grading markers are only allowed in code cells", index)
            roles.append(None)
            continue
        try:
            role = cell_role(cell.source)
        except ValueError as e:
            raise NotebookError(path, str(e), index) from None
        if role.grade_id:
            if role.grade_id in seen:
                raise NotebookError(path, f"duplicate ID '{role.grade_id}' "
                                          f"(first used in cell {seen[role.grade_id]})", index)
            seen[role.grade_id] = index
        roles.append(role)
    try:
        default_exp(nb)
    except LookupError as e:
        raise NotebookError(path, f"{e}: the module has no library name") from None
    return roles


def default_exp(nb: nbformat.NotebookNode) -> str:
    "The library module a notebook exports to (its `#| default_exp` name)."
    for cell in nb.cells:
        if cell.cell_type == "code":
            for words in directives(cell.source):
                if len(words) == 2 and words[0] == "default_exp":
                    return words[1]
    raise LookupError("no '#| default_exp NAME' directive")


def _lines_by_region(source: str) -> list[tuple[str | None, str]]:
    "Each line of a cell that is not a marker, with the region it is in: 'solution', 'hidden' or None."
    region, lines = None, []
    for line in source.splitlines():
        marker = line.strip()
        if marker in (SOLUTION_BEGIN, HIDDEN_BEGIN):
            region = "solution" if marker == SOLUTION_BEGIN else "hidden"
        elif marker in (SOLUTION_END, HIDDEN_END):
            region = None
        else:
            lines.append((region, line))
    return lines


def solution_lines(source: str) -> list[str]:
    "The code of a cell's solution regions: stripped lines, without blank and comment lines."
    return [line.strip() for region, line in _lines_by_region(source)
            if region == "solution" and line.strip() and not line.strip().startswith("#")]


def hidden_lines(source: str) -> list[str]:
    "The non-blank lines of a cell's hidden-test regions, stripped."
    return [line.strip() for region, line in _lines_by_region(source) if region == "hidden" and line.strip()]


def public_lines(source: str) -> list[str]:
    "The lines of a cell outside every solution and hidden-test region (what a release keeps), stripped."
    return [line.strip() for region, line in _lines_by_region(source) if region is None]


def strip_marker_lines(source: str) -> str:
    "Remove solution-marker lines, leaving the solution code itself (for the library)."
    return "\n".join(line for line in source.split("\n")
                     if line.strip() not in (SOLUTION_BEGIN, SOLUTION_END))
