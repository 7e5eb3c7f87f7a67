"""Analysis cells never contradict their own numbers (docs/AUTHORING.md, "Analysis cells").

Every `#| analysis` cell of a module runs twice, against the library a grader gives the module,
and each reading it prints (`✓ what: 1.02× (96% CI 0.98–1.07×); expected 0.8–1.5×: as expected`,
written by `tinytorch.setup.interpret`) is parsed and its verdict derived again, here, from the
printed numbers alone. The rule is restated in this file rather than imported, so a wrong rule
in `interpret` fails the test too."""
from __future__ import annotations

import math
import re

import pytest
from nbclient import NotebookClient

from course import ROOT
from course.grading.autograde import grading_library
from course.notebooks import cell_roles, module_notebooks, read_notebook

NUMBER = r"-?\d[\d,]*(?:\.\d+)?"
READING = re.compile(
    rf"^(?P<mark>[✓✗?]) (?P<what>.+): (?P<median>{NUMBER})(?P<unit>[^()]*?) "
    rf"\((?:(?P<level>\d+)% CI (?P<low>{NUMBER})–(?P<high>{NUMBER})(?P=unit)|counted)\); "
    rf"expected (?:(?P<bottom>{NUMBER})–(?P<top>{NUMBER})|≥ (?P<at_least>{NUMBER})|≤ (?P<at_most>{NUMBER}))(?P=unit): "
    r"(?P<verdict>as expected|lower than expected|higher than expected|not conclusive)(?: — (?P<advice>.+))?$")
MARKS = {"as expected": "✓", "lower than expected": "✗", "higher than expected": "✗", "not conclusive": "?"}
# Cells that call these measure something, so they must be analysis cells (widgets excepted).
MEASURING = re.compile(r"\b(measure|measure_ratio|traced_memory)\(|\btracemalloc\.start\(")
COURSE_MODULES = [p.stem for p in module_notebooks(ROOT / "nbs")]
ANALYSED = [m for m in COURSE_MODULES if m[:2] != "19"]  # every module but 19 follows the rule (19 has its own tools)


def number(text: str | None) -> float | None:
    return None if text is None else float(text.replace(",", ""))


def derived_verdict(low: float, high: float, bottom: float, top: float) -> str:
    "Where the interval [low, high] lies against the range [bottom, top], by the chapter's rule."
    if high < bottom:
        return "lower than expected"
    if low > top:
        return "higher than expected"
    if bottom <= low and high <= top:
        return "as expected"
    return "not conclusive"


def check_reading(line: str) -> str:
    "Parse one printed reading, re-derive its verdict from its numbers, and return the verdict."
    match = READING.match(line)
    assert match, f"a reading the test cannot parse (is it from interpret()?): {line!r}"
    median = number(match["median"])
    low, high = (median, median) if match["level"] is None else (number(match["low"]), number(match["high"]))
    assert low <= median <= high, f"the median lies outside its own interval: {line!r}"
    if match["level"] is not None:
        assert 0 <= int(match["level"]) <= 100, line
    bottom = number(match["bottom"] or match["at_least"]) if (match["bottom"] or match["at_least"]) else -math.inf
    top = number(match["top"] or match["at_most"]) if (match["top"] or match["at_most"]) else math.inf
    assert bottom <= top, f"an empty expected range: {line!r}"
    expected = derived_verdict(low, high, bottom, top)
    assert match["verdict"] == expected, f"the printed verdict contradicts the printed numbers: {line!r} (expected '{expected}')"
    assert match["mark"] == MARKS[expected], f"the mark does not match the verdict: {line!r}"
    assert match["advice"] is None or match["mark"] == "✗", f"advice printed without a ✗ verdict: {line!r}"
    return expected


def readings(cell) -> list[str]:
    "The reading lines a cell printed."
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    return [line for line in text.splitlines() if line[:2] in ("✓ ", "✗ ", "? ")]


@pytest.mark.parametrize("line, verdict", [
    ("✓ a ÷ b: 1.02× (96% CI 0.98–1.07×); expected 0.8–1.5×: as expected", "as expected"),
    ("✗ a ÷ b: 0.4× (96% CI 0.3–0.5×); expected 0.8–1.5×: lower than expected — rerun", "lower than expected"),
    ("? t: 1,200 µs (94% CI 900–1,600 µs); expected ≤ 1,500 µs: not conclusive", "not conclusive"),
    ("✗ t: 1,200 µs (94% CI 1,100–1,300 µs); expected ≤ 1,000 µs: higher than expected — a reason", "higher than expected"),
    ("✗ bytes: 4.00× (counted); expected ≥ 5×: lower than expected", "lower than expected"),
    ("✓ d: -0.1 ms (96% CI -0.2–0.05 ms); expected -1–1 ms: as expected", "as expected"),
])
def test_the_checker_reads_every_form_of_reading(line, verdict):
    assert check_reading(line) == verdict


@pytest.mark.parametrize("line", [
    "✓ a ÷ b: 0.39× (96% CI 0.30–0.45×); expected 0.8–1.5×: as expected",   # the tanh slip
    "✓ recording: -0.17 µs (96% CI -0.3–-0.1 µs); expected ≥ 0 µs: as expected",  # the issue's −0.17 µs
    "✗ a: 1.0× (96% CI 0.9–1.1×); expected 0.8–1.5×: lower than expected",
    "? a: 1.0× (96% CI 0.9–1.1×); expected 0.8–1.5×: as expected",
    "✓ a: 2.0× (96% CI 0.9–1.1×); expected 0.8–1.5×: as expected",
    "✓ a: 1.0 (about 1); expected 1–2: as expected",
])
def test_the_checker_catches_readings_that_contradict_their_numbers(line):
    with pytest.raises(AssertionError):
        check_reading(line)


def test_interpret_prints_what_the_checker_accepts(capsys):
    from tinytorch.setup import Estimate, interpret

    cases = [(Estimate([0.9, 1.0, 1.1, 1.0, 0.95, 1.05, 1.0, 0.98, 1.02]), (0.8, 1.5)),
             (Estimate([0.3, 0.35, 0.4, 0.38, 0.41, 0.36, 0.33, 0.39, 0.37]), (0.8, 1.5)),
             (Estimate([1.4, 1.6, 1.5, 1.45, 1.55]), (0.8, 1.5)),
             (Estimate([0.00123, 0.00124, 0.00125]), (None, 0.001)),
             (Estimate([12_345.0, 12_400.0, 12_500.0]), (10_000, None)),
             (4.0, (3, 5)), (2.5, (3, 5)),
             (Estimate([-0.2, -0.17, -0.1, -0.15, -0.16]), (0, None))]
    for estimate, expected in cases:
        interpret(estimate, "a quantity", expected, " µs", advice="what to do")
    lines = capsys.readouterr().out.splitlines()
    assert [check_reading(line) for line in lines] == [
        "as expected", "lower than expected", "not conclusive", "higher than expected", "as expected",
        "as expected", "lower than expected", "lower than expected"]


def analysis_cells(module: str) -> list[int]:
    path = ROOT / "nbs" / f"{module}.ipynb"
    nb = read_notebook(path)
    return [i for i, role in enumerate(cell_roles(nb, path)) if role is not None and role.analysis]


@pytest.mark.parametrize("module", ANALYSED)
def test_measuring_cells_are_analysis_cells(module):
    "A cell that measures (measure, measure_ratio, traced_memory, tracemalloc) says what its numbers mean."
    path = ROOT / "nbs" / f"{module}.ipynb"
    nb = read_notebook(path)
    analysed = set(analysis_cells(module))
    assert analysed, f"{module} has no '#| analysis' cell"
    for index, (cell, role) in enumerate(zip(nb.cells, cell_roles(nb, path))):
        if role is None or role.kind != "code" or role.exported or "ipywidgets" in cell.source:
            continue
        if MEASURING.search(cell.source):
            assert index in analysed, f"{module}, cell {index} ({cell.id}) measures but is not an '#| analysis' cell"
        if index in analysed:
            assert "interpret(" in cell.source, f"{module}, cell {index} ({cell.id}) is an analysis cell that interprets nothing"


@pytest.mark.slow
@pytest.mark.parametrize("module", ANALYSED)
def test_analysis_cells_never_contradict_their_numbers(module, tmp_path, monkeypatch):
    library = grading_library(ROOT, module)
    monkeypatch.setenv("PYTHONPATH", str(library))
    nb = read_notebook(ROOT / "source" / module / f"{module}.ipynb")
    analysed = analysis_cells(module)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    runs: dict[int, list[list[str]]] = {index: [] for index in analysed}
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
            if index in runs:
                runs[index].append(readings(cell))
        for index in analysed:  # the second run, after the whole notebook
            client.execute_cell(nb.cells[index], index)
            runs[index].append(readings(nb.cells[index]))
        errors = [(i, o.ename, o.evalue) for i, c in enumerate(nb.cells) if c.cell_type == "code"
                  for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{module}: cells raised {errors}"
    outside = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and readings(c) and i not in runs]
    assert not outside, f"{module}: cells {outside} print readings but are not '#| analysis' cells"
    for index, (first, second) in runs.items():
        assert first, f"{module}, cell {index}: an analysis cell printed no reading"
        assert len(first) == len(second), f"{module}, cell {index}: {len(first)} readings, then {len(second)}"
        for line in first + second:
            check_reading(line)
