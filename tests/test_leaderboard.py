"""`python -m course leaderboard`: the capstone's class leaderboard, built from synthetic graded submissions (autograded
notebooks, a gradebook and the grader's outcome records written by the test), never from what student code printed."""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest

from course import ROOT
from course.checks import NothingToGrade
from tinytorch.capstone import pareto_front_max as pareto_front
from course.leaderboard import MODULE, RECORD_CELL, RECORD_PREFIX, collect, read_record, write_leaderboard
from course.notebooks import cell_roles, read_notebook

SOURCE = ROOT / "source" / MODULE / f"{MODULE}.ipynb"
pytestmark = pytest.mark.skipif(not SOURCE.exists(), reason="build the course first (python -m course build)")


def record_line(accuracy: float, latency: float, size: float, techniques=("int8",)) -> str:
    return RECORD_PREFIX + json.dumps({"accuracy": accuracy, "baseline_accuracy": 0.9805, "latency_ratio": latency,
                                       "size_ratio": size, "techniques": list(techniques)})


def graded_notebook(measure_output: list[str], error: bool = False, other_output: str = "") -> nbformat.NotebookNode:
    "An autograded notebook with a solution cell (printing `other_output`) and the measuring cell's outputs."
    solution = nbformat.v4.new_code_cell("CLAIMS = {}", metadata={"nbgrader": {"grade_id": "claims", "solution": True}})
    if other_output:
        solution.outputs = [nbformat.v4.new_output("stream", name="stdout", text=other_output)]
    measure = nbformat.v4.new_code_cell("# hidden", metadata={"nbgrader": {"grade_id": RECORD_CELL, "grade": True,
                                                                           "points": 1}})
    measure.outputs = [nbformat.v4.new_output("stream", name="stdout", text="".join(line + "\n" for line in measure_output))]
    if error:
        measure.outputs.append(nbformat.v4.new_output("error", ename="AssertionError", evalue="no model",
                                                      traceback=["AssertionError: no model"]))
    return nbformat.v4.new_notebook(cells=[solution, measure])


def make_course(root: Path, notebooks: dict[str, nbformat.NotebookNode], scores: dict[str, float]) -> None:
    """A course folder holding the capstone's source notebook, each student's autograded notebook, the grader's
    outcome record, and a gradebook in which every test of a student scored the fraction scores[student]."""
    from nbgrader.api import Gradebook

    (root / "source" / MODULE).mkdir(parents=True)
    shutil.copy(SOURCE, root / "source" / MODULE)
    tests = {r.grade_id: r.points for r in cell_roles(read_notebook(SOURCE), SOURCE) if r is not None and r.kind == "test"}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        gb.add_assignment(MODULE)
        gb.add_notebook(MODULE, MODULE)
        for grade_id, points in tests.items():
            gb.add_grade_cell(grade_id, MODULE, MODULE, max_score=points, cell_type="code")
        for student, nb in notebooks.items():
            folder = root / "autograded" / student / MODULE
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{MODULE}.ipynb")
            log = root / ".build" / "logs" / MODULE
            log.mkdir(parents=True, exist_ok=True)
            (log / f"{student}.json").write_text(json.dumps({"status": "graded"}))
            gb.add_student(student)
            gb.add_submission(MODULE, student)
            for grade_id, points in tests.items():
                gb.find_grade(grade_id, MODULE, MODULE, student).auto_score = points * scores[student]
        gb.db.commit()


def test_pareto_front_of_a_hand_made_set():
    points = [(1.0, 98.0), (2.0, 97.5), (1.5, 97.0), (4.0, 96.0), (3.0, 96.0), (4.0, 96.0), (0.5, 99.0), (0.4, 98.0)]
    # (1.5, 97) is beaten by (2, 97.5); (3, 96) by (4, 96); (0.4, 98) by (1, 98); the two (4, 96) tie and both stay
    assert pareto_front(points) == [6, 0, 1, 3, 5]
    assert pareto_front([]) == [] and pareto_front([(1.0, 1.0)]) == [0]


HONEST, FORGED = record_line(0.97, 1.2, 6.0), record_line(1.0, 50.0, 100.0, ["distillation"])
THIRTY = [f"student{i:02d}" for i in range(30)]


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory) -> Path:
    """One course with 30 ordinary graded submissions and five special ones (building nbgrader's gradebook is the
    slow part, so the tests share it)."""
    root = tmp_path_factory.mktemp("course")
    notebooks = {student: graded_notebook([f"measured on load {i}", record_line(0.96 + i / 1000, 0.8 + i / 10, 1 + i / 5)])
                 for i, student in enumerate(THIRTY)}
    scores = {student: 1.0 if i % 3 else 0.5 for i, student in enumerate(THIRTY)}
    notebooks.update({
        "x_honest": graded_notebook(["some output", HONEST], other_output=FORGED + "\n"),  # forged in another cell: ignored
        "x_forger_before": graded_notebook([FORGED, HONEST]),  # printed while the test called the student's model
        "x_forger_after": graded_notebook([HONEST, FORGED]),
        "x_failed": graded_notebook([HONEST], error=True),
        "x_silent": graded_notebook(["nothing recorded"]),
    })
    make_course(root, notebooks, {**scores, **dict.fromkeys([s for s in notebooks if s.startswith("x_")], 1.0)})
    return root


@pytest.mark.slow
def test_thirty_submissions_make_one_html_page(graded_class, tmp_path, capsys):
    for student in [p for p in (graded_class / "autograded").iterdir() if p.name.startswith("x_")]:
        shutil.move(student, tmp_path / student.name)  # only the 30 ordinary ones here
    try:
        start, cpu = time.perf_counter(), time.process_time()
        board = write_leaderboard(graded_class, tmp_path / "out" / "leaderboard.html")
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        for student in tmp_path.glob("x_*"):
            shutil.move(student, graded_class / "autograded" / student.name)
    with capsys.disabled():
        print(f"\nleaderboard of 30 synthetic graded submissions built in {seconds:.2f} s, {cpu:.2f} s of CPU "
              f"(goal: 30 s; load average {os.getloadavg()[0]:.1f})")
    assert [e.student for e in board.entries] == THIRTY and all(e.measured for e in board.entries)
    assert board.entries[29].value("latency_ratio") == pytest.approx(3.7) and board.entries[0].points == 8.5
    page = (tmp_path / "out" / "leaderboard.html").read_text()
    table = re.search(r'<table id="leaderboard">(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r"<tr><td>(\d+)</td><td>(\w+)</td>", table)
    assert len(rows) == 30 and [int(rank) for rank, _ in rows] == list(range(1, 31))
    assert rows[0][1] == "student29"  # full points, then the best accuracy first
    assert "<td>17/17</td>" in table and "<td>8.5/17</td>" in table and "<td>3.70</td>" in table
    image = re.search(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert image and len(image.group(1)) > 1000


@pytest.mark.slow
def test_a_line_printed_by_student_code_is_ignored(graded_class, tmp_path):
    board = {e.student: e for e in collect(graded_class).entries}
    assert board["x_honest"].record["latency_ratio"] == 1.2 and board["x_honest"].note == ""
    for student in ("x_forger_before", "x_forger_after"):
        assert board[student].record is None and "2 lines starting with" in board[student].note
    assert board["x_failed"].record is None and "failed" in board["x_failed"].note
    assert board["x_silent"].record is None and "recorded nothing" in board["x_silent"].note
    write_leaderboard(graded_class, tmp_path / "board.html")
    page = (tmp_path / "board.html").read_text()
    assert "50.00" not in page and "100.00" not in page  # the forged figures appear nowhere


def test_unreadable_records_are_refused():
    for line, why in ((RECORD_PREFIX + "{not json", "unreadable"),
                      (RECORD_PREFIX + json.dumps({"accuracy": 0.9}), "missing"),
                      (record_line(float("nan"), 1.0, 1.0), "finite")):
        record, note = read_record(graded_notebook([line]).cells)
        assert record is None and why in note


def test_nothing_graded_is_a_clear_error(tmp_path, monkeypatch, capsys):
    with pytest.raises(NothingToGrade, match="nothing graded for 20_capstone.*python -m course grade --module 20_capstone"):
        collect(tmp_path)
    import course.__main__ as cli
    monkeypatch.setattr(cli, "ROOT", tmp_path)
    monkeypatch.setattr(cli, "_modules", lambda args: args.module)
    assert cli.main(["leaderboard", "--out", str(tmp_path / "x.html")]) == 1
    assert "error: nothing graded for 20_capstone" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()
