"""The instructor's view of a graded class: points per student, module and test group, and the
reason for every lost point, read from nbgrader's gradebook and the autograded notebooks."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..notebooks import GROUPS, cell_roles, read_notebook
from .autograde import load_outcome, outcome_path
from .feedback import error_message
from .execute import TAMPER_TAG
from .gradebook import gradebook_url, shown


@dataclass(frozen=True)
class Lost:
    "Points a test cell did not give, and why."
    grade_id: str
    score: float
    points: float
    reason: str


@dataclass
class ModuleResult:
    "One student's result for one module."
    points: dict[str, float] = field(default_factory=lambda: dict.fromkeys(GROUPS, 0.0))
    maximum: dict[str, float] = field(default_factory=lambda: dict.fromkeys(GROUPS, 0.0))
    lost: list[Lost] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # errors in the student's code, tampering, ...
    status: str = "graded"  # "graded", "not graded" (it failed, or was never graded) or "not submitted"
    graded_by: str = ""  # "course" (python -m course grade) or "nbgrader" (plain `nbgrader autograde`)

    @property
    def total(self) -> float:
        return sum(self.points.values())


@lru_cache(maxsize=None)
def test_groups(source_notebook: Path) -> dict[str, tuple[str, float]]:
    "grade_id → (group, points) for every test cell of a source notebook (read once per run)."
    nb = read_notebook(source_notebook)
    return {r.grade_id: (r.group, r.points) for r in cell_roles(nb, source_notebook)
            if r is not None and r.kind == "test"}


def failure_reason(cell) -> str:
    "Why a graded cell lost its points, from its outputs."
    errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
    if not errors:
        return "no error output (the cell did not run to the end)"
    if errors[-1].ename == "CellTimeoutError":
        return "the cell ran past the time limit and was stopped"
    return error_message(errors[-1]).splitlines()[0][:300]


def grader(root: Path, module: str, student: str, graded_path: Path) -> str:
    """Which tool wrote the autograded notebook: "course" if the course's grader recorded its outcome
    (.build/logs/<module>/<student>.json, written after nbgrader finished) after the notebook was
    last written, else "nbgrader" (someone ran `nbgrader autograde` by hand, e.g. on a fresh clone)."""
    record = outcome_path(root, module, student)
    if not record.exists():
        return "nbgrader"
    return "course" if record.stat().st_mtime_ns >= graded_path.stat().st_mtime_ns else "nbgrader"


def module_result(root: Path, module: str, student: str, db_url: str | None = None) -> ModuleResult:
    """Read one student's grades for one module from the gradebook (at `db_url`, default
    gradebook.db) and the autograded notebook."""
    from nbgrader.api import Gradebook, MissingEntry

    groups = test_groups(root / "source" / module / f"{module}.ipynb")
    result = ModuleResult()
    for group, points in groups.values():
        result.maximum[group] += points
    outcome = load_outcome(root, module, student) or {}
    if outcome.get("tampered"):
        result.notes.append("wrote outside its folder (put back before grading others): "
                            + "; ".join(outcome["tampered"]))
    graded_path = root / "autograded" / student / module / f"{module}.ipynb"
    submitted = (root / "submitted" / student / module / f"{module}.ipynb").exists()
    if not outcome and not graded_path.exists() and not submitted:
        result.status = "not submitted"
        return result
    if outcome.get("status", "graded") != "graded" or not graded_path.exists():
        result.status = "not graded"
        why = outcome.get("error") or (f"no autograded notebook: run `python -m course grade --module {module} "
                                       f"--student {student}`" if not outcome else "no autograded notebook")
        result.notes.append(f"not graded: {why}")
        result.lost = [Lost(gid, 0, pts, "not graded") for gid, (_, pts) in groups.items()]
        return result
    result.graded_by = grader(root, module, student, graded_path)
    if result.graded_by != "course":
        result.notes.append("graded by plain `nbgrader autograde`, not by `python -m course grade`: the reference "
                            "library may have stood in for the student's code; grade it again with "
                            f"`python -m course grade --module {module} --student {student}`")
    graded_cells = read_notebook(graded_path).cells
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in graded_cells}
    result.notes += [f"your code in cell '{c.metadata['nbgrader']['grade_id']}': "
                     f"{failure_reason(c)}" for c in graded_cells
                     if c.metadata.get("nbgrader", {}).get("solution")
                     and any(o.output_type == "error" for o in c.get("outputs", []))]
    url = gradebook_url(root, db_url)
    with Gradebook(url) as gb:
        try:
            notebook = gb.find_submission_notebook(module, module, student)
        except MissingEntry:
            result.status = "not graded"
            where = "gradebook.db" if db_url is None else shown(url)
            result.notes.append(f"not in the gradebook ({where}): grade it again")
            return result
        scores = {g.name: g.score for g in notebook.grades}
    for grade_id, (group, points) in groups.items():
        score = scores.get(grade_id) or 0.0
        result.points[group] += score
        if score < points:
            cell = cells.get(grade_id)
            reason = failure_reason(cell) if cell is not None else "test cell missing"
            result.lost.append(Lost(grade_id, score, points, reason))
    tampering = sorted({line.strip() for c in cells.values() if c is not None and c.cell_type == "code"
                        for o in c.get("outputs", []) if o.output_type == "stream"
                        for line in o.text.splitlines() if TAMPER_TAG in line})
    result.notes += tampering
    return result


def class_results(root: Path, modules: list[str], students: list[str],
                  db_url: str | None = None) -> dict[str, dict[str, ModuleResult]]:
    "student → module → result, the grades read from the gradebook at `db_url` (default gradebook.db)."
    return {s: {m: module_result(root, m, s, db_url) for m in modules} for s in students}


def _cell(result: ModuleResult) -> str:
    if result.status == "not submitted":
        return "-"
    if result.status == "not graded":
        return "NOT GRADED"
    points = " ".join(f"{result.points[g]:g}/{result.maximum[g]:g}" for g in GROUPS)
    return points if result.graded_by == "course" else points + " (plain nbgrader)"


def grade_table(results: dict[str, dict[str, ModuleResult]], modules: list[str]) -> str:
    """A plain-text table: one row per student, per module the points of each test group
    (visible / hidden / performance), then the total."""
    header = ["student"] + modules + ["total"]
    rows = []
    for student, by_module in results.items():
        total = sum(r.total for r in by_module.values())
        maximum = sum(sum(r.maximum.values()) for r in by_module.values())
        rows.append([student] + [_cell(by_module[m]) for m in modules] + [f"{total:g}/{maximum:g}"])
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    line = lambda row: "  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip()
    legend = (f"points per test group: {' / '.join(GROUPS)}; '-' not submitted; NOT GRADED and "
              "(plain nbgrader): see the notes below")
    return "\n".join([legend, line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def failures(results: dict[str, dict[str, ModuleResult]]) -> int:
    "How many submitted notebooks were not graded, or not graded by the course's grader."
    return sum(r.status == "not graded" or r.status == "graded" and r.graded_by != "course"
               for by_module in results.values() for r in by_module.values())


def graded_count(results: dict[str, dict[str, ModuleResult]]) -> int:
    "How many notebooks have a grade (by any tool)."
    return sum(r.status == "graded" for by_module in results.values() for r in by_module.values())


def lost_points(results: dict[str, dict[str, ModuleResult]]) -> str:
    """Every note and every lost point, student by student; tests that failed for the same
    reason share one line."""
    lines = []
    for student, by_module in results.items():
        for module, result in by_module.items():
            lines += [f"{student} · {module} · {note}" for note in result.notes]
            by_reason: dict[str, list[Lost]] = {}
            for lost in result.lost:
                by_reason.setdefault(lost.reason, []).append(lost)
            for reason, items in by_reason.items():
                missing = sum(i.points - i.score for i in items)
                tests = ", ".join(i.grade_id for i in items)
                lines.append(f"{student} · {module} · -{missing:g} ({tests}): {reason}")
    return "\n".join(lines)
