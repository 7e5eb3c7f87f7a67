"""The adversarial corpus (tests/adversarial/): one small hostile submission of 01_setup per attack,
all graded in one run the way `python -m course grade` grades (autograde, feedback, report) in a
copy of the course, between two correct classmates (graded first and last).

tests/adversarial/expected.json gives, per case, the notebook it starts from ("named": the release
with the name filled in, so an honest grade is 1/0/0; "reference"; "slow": the demo's slow
student), the points it must get, and what the grade report must say about it. Placeholders in a
case: {COURSE} (the course folder), {HOME}, {MARKER} (a file name checked afterwards),
{MARKER_NUMBER} (in the command lines of processes that must not survive)."""
from __future__ import annotations

import html
import json
import os
import re
import secrets
from pathlib import Path

import pytest

from course import demo
from course.build import nbgrader_api, write_notebook
from course.grading.autograde import autograde
from course.grading.report import class_results, lost_points
from course.notebooks import GROUPS, read_notebook
from tests.conftest import copy_course
from tests.test_pipeline import hidden_lines

pytestmark = pytest.mark.slow

MODULE = "01_setup"
CORPUS = Path(__file__).with_name("adversarial")
EXPECTED = json.loads((CORPUS / "expected.json").read_text())
CLASSMATES = ("aaa_classmate", "zzz_classmate")  # graded first and last
MARKER = f"tinytorch-adversarial-{secrets.token_hex(4)}"
MARKER_NUMBER = str(900000 + secrets.randbelow(90000))


def base_notebook(root: Path, base: str):
    if base == "reference":
        return demo.reference_submission(root, MODULE)
    if base == "slow":
        return demo.submission(root, MODULE, "slow")
    nb = read_notebook(root / "release" / MODULE / f"{MODULE}.ipynb")  # "named"
    reference = {demo.grade_id(c): c.source for c in demo.reference_submission(root, MODULE).cells}
    for cell in nb.cells:
        if demo.grade_id(cell) == "identity":
            cell.source = reference["identity"]
    return nb


def case_submission(root: Path, case: str, scratch: Path):
    text = (CORPUS / f"{case}.py").read_text()
    for name, value in (("{COURSE}", str(root)), ("{HOME}", str(Path.home())), ("{MARKER}", MARKER),
                        ("{MARKER_NUMBER}", MARKER_NUMBER)):
        text = text.replace(name, value)
    variant = scratch / f"{case}.py"
    variant.write_text(text)
    nb = base_notebook(root, EXPECTED[case]["base"])
    demo.apply_variant(nb, demo.read_variant(variant), variant)
    return nb


def stored_tests(root: Path) -> dict[str, str]:
    "The test cells nbgrader keeps in the gradebook (what every student is graded against)."
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {c.name: c.source for c in gb.find_notebook(MODULE, MODULE).source_cells}


def grades(root: Path, student: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {g.name: g.score for g in gb.find_submission_notebook(MODULE, MODULE, student).grades}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = copy_course(tmp_path_factory.mktemp("course"))
    with open(root / "nbgrader_config.py", "a") as config:  # the endless loop costs 10 s, not 30
        config.write("\nc.SandboxedExecute.timeout = 10\n")
    scratch = tmp_path_factory.mktemp("cases")
    for student in CLASSMATES:
        write_notebook(demo.reference_submission(root, MODULE), root / "submitted" / student / MODULE / f"{MODULE}.ipynb")
    for case in EXPECTED:
        write_notebook(case_submission(root, case, scratch), root / "submitted" / case / MODULE / f"{MODULE}.ipynb")
    config_before = (root / "nbgrader_config.py").read_bytes()
    progress: list[str] = []
    # a fresh clone: no gradebook yet; grading runs nbgrader generate_assignment itself
    autograde(root, [MODULE], progress=progress.append)
    first = grades(root, CLASSMATES[0])
    tests_after_first = stored_tests(root)
    assert nbgrader_api(root).generate_feedback(MODULE, force=True)["success"]
    students = sorted(EXPECTED) + list(CLASSMATES)
    results = class_results(root, [MODULE], students)
    print("\n".join(progress) + "\n" + lost_points(results))
    return dict(root=root, results=results, progress=progress, first=first, tests=tests_after_first,
                config_before=config_before)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_attack_gains_nothing_and_is_reported(graded, case):
    result = graded["results"][case][MODULE]
    expected = EXPECTED[case]
    assert {g: result.points[g] for g in GROUPS} == expected["points"], lost_points({case: {MODULE: result}})
    notes = "\n".join(result.notes + [lost.reason for lost in result.lost])
    for phrase in expected.get("reported", []):
        assert phrase in notes, f"{case}: {phrase!r} not in the report:\n{notes}"


def test_fresh_clone_grades_without_manual_steps(graded):
    assert any("running nbgrader generate_assignment" in line for line in graded["progress"])
    assert not any("not graded" in n for s in EXPECTED for n in graded["results"][s][MODULE].notes
                   if EXPECTED[s]["points"] != {"visible": 0, "hidden": 0, "performance": 0})


def test_classmates_keep_their_grades_and_tests(graded):
    root = graded["root"]
    for student in CLASSMATES:
        result = graded["results"][student][MODULE]
        assert result.points == result.maximum and not result.notes, lost_points({student: {MODULE: result}})
    assert grades(root, CLASSMATES[0]) == graded["first"]  # graded first: nothing after it changed it
    assert stored_tests(root) == graded["tests"]
    assert (root / "nbgrader_config.py").read_bytes() == graded["config_before"]


def test_nothing_outside_the_sandbox_was_written(graded):
    root = graded["root"]
    for folder in (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), Path.home(), root, root / ".build"):
        assert not (folder / MARKER).exists(), folder / MARKER
    outcome = json.loads((root / ".build" / "logs" / MODULE / "write_outside.json").read_text())
    assert outcome["tampered"] == []  # the snapshot (second line of defence) saw nothing either


def test_no_process_outlives_grading(graded):
    left = []
    for proc in Path("/proc").iterdir():
        try:
            if MARKER_NUMBER in (proc / "cmdline").read_bytes().decode(errors="replace"):
                left.append(proc.name)
        except OSError:
            continue
    assert not left


def cell_text(root: Path, student: str) -> str:
    nb = read_notebook(root / "autograded" / student / MODULE / f"{MODULE}.ipynb")
    return "".join(o.get("text", "") + o.get("evalue", "") for c in nb.cells for o in c.get("outputs", []))


def test_instructor_files_and_network_are_out_of_reach(graded):
    root = graded["root"]
    assert "LEAK:" not in cell_text(root, "read_secrets")
    assert "NET-OPEN" not in cell_text(root, "network")
    assert "WROTE: " + str(root) not in cell_text(root, "write_outside")
    forked = re.search(r"FORKED: (\d+)", cell_text(root, "fork_bomb"))
    assert forked and int(forked.group(1)) < 64


def test_output_is_capped_below_print(graded):
    root = graded["root"]
    assert (root / "autograded" / "output_flood" / MODULE / f"{MODULE}.ipynb").stat().st_size < 1_000_000
    assert (root / "feedback" / "output_flood" / MODULE / f"{MODULE}.html").stat().st_size < 2_000_000


def test_feedback_never_shows_hidden_tests(graded):
    root = graded["root"]
    source = read_notebook(root / "source" / MODULE / f"{MODULE}.ipynb")
    public = (root / "release" / MODULE / f"{MODULE}.ipynb").read_text() + "".join(
        c.source for c in demo.reference_submission(root, MODULE).cells)
    secret = [line for c in source.cells for line in hidden_lines(c.source) if len(line) > 12 and line not in public]
    assert secret
    for student in list(EXPECTED) + list(CLASSMATES):
        page = root / "feedback" / student / MODULE / f"{MODULE}.html"
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text())) if page.exists() else ""
        assert not [line for line in secret if line in text], student
