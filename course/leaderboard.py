"""The capstone's class leaderboard: `python -m course leaderboard [--module 20_capstone] [--out FILE]`.

Built from what grading wrote, never from what a student's code printed: per student, the figures that
the course's hidden test cell `capstone_measure` measured at grading time (accuracy, latency and size
ratios against the baseline in the same process) and printed as one line starting with RECORD_PREFIX,
read from that cell's outputs only in the autograded notebook, and the points from the gradebook
(grading.report). A student's own print cannot forge an entry: a record is accepted only when it is the
one line with the prefix in that cell and the cell's last line, and the cell passed (no error output);
a second line (printed by the student's code while the test called it) voids the entry with a note.
"""
from __future__ import annotations

import base64
import html
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from tinytorch.capstone import pareto_front_max

from .checks import NothingToGrade

MODULE = "20_capstone"
RECORD_CELL = "capstone_measure"  # the grade_id of the hidden test cell that measures and records
RECORD_PREFIX = "CAPSTONE-MEASURED "
FIELDS = ("accuracy", "baseline_accuracy", "latency_ratio", "size_ratio", "techniques")


@dataclass
class Entry:
    "One student's row: the measured figures (None when there is no trustworthy record), points, notes."
    student: str
    points: float = 0.0
    maximum: float = 0.0
    record: dict | None = None
    note: str = ""

    @property
    def measured(self) -> bool:
        return self.record is not None

    def value(self, name: str) -> float:
        return float(self.record[name]) if self.record else math.nan


@dataclass
class Leaderboard:
    module: str
    entries: list[Entry] = field(default_factory=list)

    def ranked(self) -> list[Entry]:
        "Measured entries first, by points, then accuracy, then the better of the two ratios; the rest by name."
        def key(e: Entry):
            if not e.measured:
                return (1, 0.0, 0.0, 0.0, e.student)
            return (0, -e.points, -e.value("accuracy"), -max(e.value("latency_ratio"), e.value("size_ratio")), e.student)
        return sorted(self.entries, key=key)


def read_record(cells: list) -> tuple[dict | None, str]:
    """The measured figures recorded by the course's `capstone_measure` cell among an autograded notebook's
    `cells`, or (None, why not)."""
    cell = next((c for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == RECORD_CELL), None)
    if cell is None:
        return None, f"no '{RECORD_CELL}' cell in the autograded notebook"
    outputs = cell.get("outputs", [])
    if any(o.get("output_type") == "error" for o in outputs):
        return None, f"the measuring cell '{RECORD_CELL}' failed (see the grade report)"
    lines = [line for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stdout"
             for line in o.get("text", "").splitlines() if line.strip()]
    records = [line for line in lines if line.startswith(RECORD_PREFIX)]
    if not records:
        return None, f"the measuring cell '{RECORD_CELL}' recorded nothing"
    if len(records) > 1 or lines[-1] is not records[0]:
        return None, (f"{len(records)} lines starting with {RECORD_PREFIX.strip()!r} in '{RECORD_CELL}' (the student's "
                      "code printed one while the test ran): not trusted, entry left out")
    try:
        record = json.loads(records[0][len(RECORD_PREFIX):])
        missing = [name for name in FIELDS if name not in record]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        for name in FIELDS[:-1]:
            if not math.isfinite(float(record[name])):
                raise ValueError(f"{name} is not a finite number")
    except (ValueError, TypeError) as e:
        return None, f"the record of '{RECORD_CELL}' is unreadable: {e}"
    return record, ""


def collect(root: Path, module: str = MODULE, db_url: str | None = None) -> Leaderboard:
    """Every student with a graded submission of `module`: points from the gradebook, figures from the
    autograded notebook's measuring cell. Raises NothingToGrade (exit 1) when nothing is graded."""
    from .grading.report import module_result
    from .notebooks import read_notebook

    graded = root / "autograded"
    students = sorted(p.parent.parent.name for p in graded.glob(f"*/{module}/{module}.ipynb"))
    if not students:
        raise NothingToGrade(f"nothing graded for {module}: no {graded.name}/<student>/{module}/{module}.ipynb; "
                             f"run `python -m course grade --module {module}` first")
    board = Leaderboard(module)
    for student in students:
        result = module_result(root, module, student, db_url)
        entry = Entry(student, result.total, sum(result.maximum.values()))
        if result.status != "graded":
            entry.note = result.status
        else:
            entry.record, entry.note = read_record(read_notebook(graded / student / module / f"{module}.ipynb").cells)
        board.entries.append(entry)
    return board


def pareto_png(entries: list[Entry]) -> bytes:
    "Accuracy against latency ratio and against size ratio, one point per measured student, Pareto fronts drawn."
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    measured = [e for e in entries if e.measured]
    fig = Figure(figsize=(10, 4.2))
    for ax, ratio, label in zip(fig.subplots(1, 2), ("latency_ratio", "size_ratio"),
                                ("latency ratio (baseline ÷ yours, higher is faster)",
                                 "size ratio (baseline bytes ÷ yours)")):
        points = [(e.value(ratio), 100 * e.value("accuracy")) for e in measured]
        front = pareto_front_max(points)
        ax.scatter([p[0] for p in points], [p[1] for p in points], color="tab:blue", label="students")
        ax.plot([points[i][0] for i in front], [points[i][1] for i in front], "o-", color="tab:red",
                label="Pareto front")
        for e, (x, y) in zip(measured, points):
            ax.annotate(e.student, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        if measured:
            ax.axhline(100 * (measured[0].value("baseline_accuracy") - 0.01), color="gray", ls="--", lw=0.8,
                       label="baseline − 1 point")
        ax.axvline(3 if ratio == "latency_ratio" else 4, color="gray", ls=":", lw=0.8, label="target")
        ax.set_xscale("log")
        ax.set(xlabel=label, ylabel="test accuracy (%)")
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


def _cell(value: float, fmt: str) -> str:
    return "–" if math.isnan(value) else format(value, fmt)


def render_html(board: Leaderboard) -> str:
    "The leaderboard as one self-contained HTML page: the table, then the Pareto plot as a PNG data URI."
    rows = []
    for rank, e in enumerate(board.ranked(), 1):
        techniques = ", ".join(map(str, e.record["techniques"])) if e.measured else ""
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in (
            rank if e.measured else "", e.student, _cell(100 * e.value("accuracy"), ".2f"),
            _cell(100 * (e.value("baseline_accuracy") - e.value("accuracy")), "+.2f"),
            _cell(e.value("latency_ratio"), ".2f"), _cell(e.value("size_ratio"), ".2f"), techniques,
            f"{e.points:g}/{e.maximum:g}", e.note)) + "</tr>")
    image = base64.b64encode(pareto_png(board.entries)).decode()
    header = "".join(f"<th>{h}</th>" for h in ("#", "student", "accuracy (%)", "drop (points)", "latency ratio",
                                                "size ratio", "techniques", "points", "note"))
    measured = sum(e.measured for e in board.entries)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{board.module} leaderboard</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}} td:nth-child(2),td:nth-child(7),td:nth-child(9){{text-align:left}}</style>
</head><body>
<h1>{board.module}: class leaderboard</h1>
<p>{len(board.entries)} graded submissions, {measured} with figures measured at grading time (the course's
hidden cell <code>{RECORD_CELL}</code>: ratios against the baseline measured in the same process; accuracy on the
held-out digits). Target: latency ratio ≥ 3 or size ratio ≥ 4, at most 1 point of accuracy lost.</p>
<table id="leaderboard"><thead><tr>{header}</tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table>
<h2>Pareto fronts</h2>
<img alt="accuracy against latency and size ratios, Pareto fronts marked" src="data:image/png;base64,{image}">
</body></html>
"""


def write_leaderboard(root: Path, out: Path, module: str = MODULE, db_url: str | None = None) -> Leaderboard:
    "Collect the class's graded submissions of `module` and write the HTML leaderboard to `out`."
    board = collect(root, module, db_url)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(board), encoding="utf-8")
    return board
