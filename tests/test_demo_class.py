"""The instructor workflow for real: the demo class is autograded by nbgrader (in a copy of the
course), feedback is generated, and every grade is exactly as demo/*/expected.json says.

This also proves the grading principles (shared with instructors in README.md): the student's
own code is graded, nothing secret reaches feedback, one bad submission harms no other, tampering
does not pay and is reported, grades are reproducible, and every lost point has a reason."""
from __future__ import annotations

import csv
import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

from course import demo
from course.build import build
from course.checks import submissions as submitted
from course.grading.autograde import autograde
from course.grading.feedback import generate_feedback
from course.grading.report import class_results, grade_table, lost_points
from course.notebooks import GROUPS, read_notebook
from tests.conftest import copy_course
from tests.test_pipeline import hidden_lines

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The demo class built, graded two at a time (as CI's two cores allow) and given feedback.
    A generated student that only repeats a module's reference (the tamperer and the copycat
    outside the modules they attack) is left out there: it would grade the same notebook again."""
    root = copy_course(tmp_path_factory.mktemp("course"))
    modules = build(root)
    students = demo.make_submissions(root, modules, reference_copies=False)
    progress = []
    outcomes = autograde(root, modules, progress=progress.append, jobs=2)
    assert generate_feedback(root, submitted(root, modules, students), jobs=2) == []
    results = class_results(root, modules, students)
    print(grade_table(results, modules) + "\n" + lost_points(results))
    return root, modules, students, outcomes, results, progress


def test_every_demo_grade_is_as_expected(graded):
    root, modules, students, outcomes, results, _ = graded
    assert demo.grade_mismatches(root, results, modules) == []
    for module in modules:  # the expectations cover every demo student
        expected = demo.expected_grades(root, module)
        assert set(expected) == set(students)
        for student in students:  # and those left out expect exactly the reference's grade
            if demo.reference_copy(root, module, student):
                assert expected[student] == expected["reference"], (module, student)


def test_reference_runs_from_top_to_bottom_in_the_sandbox(graded):
    "Not one cell of a reference notebook raised, graded or not (analysis cells are not run)."
    root, modules, _, _, _, _ = graded
    assert demo.reference_errors(root, modules) == []


def test_reference_gets_full_marks_and_untouched_release_gets_nothing(graded):
    _, modules, _, _, results, _ = graded
    for module in modules:
        reference, untouched = results["reference"][module], results["untouched"][module]
        assert reference.points == reference.maximum and not reference.lost
        assert untouched.total == 0


def test_slow_student_loses_exactly_the_performance_points(graded):
    _, modules, _, _, results, _ = graded
    for module in modules:
        slow = results["slow"][module]
        assert slow.points["visible"] == slow.maximum["visible"]
        assert slow.points["hidden"] == slow.maximum["hidden"]
        assert slow.maximum["performance"] > 0 and slow.points["performance"] == 0


def test_hidden_bug_passes_visible_tests_only(graded):
    _, modules, _, _, results, _ = graded
    for module in modules:
        result = results["hidden_bug"][module]
        assert result.points["visible"] == result.maximum["visible"]
        assert result.points["hidden"] < result.maximum["hidden"]


def test_every_lost_point_has_a_reason(graded):
    _, modules, students, _, results, _ = graded
    for student in students:
        for module in modules:
            for lost in results[student][module].lost:
                assert lost.reason.strip(), f"{student} {module}: {lost}"


def test_broken_submission_is_graded_on_its_own(graded):
    "Syntax error and infinite loop: graded, with a reason, and others unaffected."
    _, modules, _, outcomes, results, _ = graded
    assert all(o.status == "graded" for o in outcomes), [(o.student, o.module, o.error) for o in outcomes]
    notes = " ".join(note for m in modules for note in results["broken"][m].notes)
    assert "SyntaxError" in notes  # the root cause is named, not only the NameErrors it causes
    assert "time limit" in notes  # the infinite loop was stopped, and the notebook went on


def test_tampering_does_not_pay_and_is_reported(graded):
    _, modules, _, _, results, _ = graded
    tampered = [m for m in modules if (graded[0] / "demo" / m / "tamperer.py").exists()]
    assert tampered
    for module in tampered:  # elsewhere the tamperer submits the reference
        assert results["tamperer"][module].points == results["slow"][module].points
    notes = " ".join(n for m in modules for n in results["tamperer"][m].notes)
    assert re.search(r"\[grader: tampering\][^\n]*time\.perf_counter", notes), notes
    for module in tampered:  # its attempt to spoil a classmate's graded notebook never left the sandbox
        assert read_notebook(graded[0] / "autograded" / "reference" / module / f"{module}.ipynb").cells


def test_copycat_importing_the_reference_gets_no_credit(graded):
    "While module N is graded only modules before N exist in the library: copying fails."
    _, modules, _, _, results, _ = graded
    copied = [m for m in modules if (graded[0] / "demo" / m / "copycat.py").exists()]
    assert copied
    for module in copied:
        result = results["copycat"][module]
        assert result.total == 0
        assert any("ModuleNotFoundError: No module named 'tinytorch." in note for note in result.notes)


def test_feedback_shows_no_hidden_test_code(graded):
    root, modules, students, _, _, _ = graded
    for module in modules:
        source = read_notebook(root / "source" / module / f"{module}.ipynb")
        # what a student may legitimately see: the release and the reference solutions
        public = (root / "release" / module / f"{module}.ipynb").read_text() + "".join(
            c.source for c in demo.reference_submission(root, module).cells)
        secret = [line for c in source.cells for line in hidden_lines(c.source)
                  if len(line) > 12 and line not in public]
        assert secret
        for student in (s for m, s in submitted(root, [module], students)):
            page = (root / "feedback" / student / module / f"{module}.html").read_text()
            text = html.unescape(re.sub(r"<[^>]+>", "", page))
            leaked = [line for line in secret if line in text]
            assert not leaked, f"{student}/{module}: {leaked[:3]}"
            assert "hidden test code is not shown" in text


def test_progress_is_reported_per_submission(graded):
    root, modules, students, _, _, progress = graded
    per_submission = [line for line in progress if re.match(r"\[ *\d+/\d+\] ", line)]
    assert len(per_submission) == len(submitted(root, modules, students)), progress[:3]
    assert {int(re.match(r"\[ *(\d+)/", line).group(1)) for line in per_submission} == \
        set(range(1, len(per_submission) + 1))


def test_grading_again_gives_the_same_grade(graded):
    root, modules, _, _, results, _ = graded
    module = modules[-1]
    autograde(root, [module], ["hidden_bug"], progress=lambda _: None, regrade=True)
    again = class_results(root, [module], ["hidden_bug"])["hidden_bug"][module]
    assert again.points == results["hidden_bug"][module].points


def test_table_lists_every_group(graded):
    _, modules, _, _, results, _ = graded
    table = grade_table(results, modules)
    assert all(g in table for g in GROUPS) and all(m in table for m in modules)


def test_nbgrader_export_writes_the_grades_csv(graded):
    root, modules, students, _, results, _ = graded
    nbgrader = Path(sys.executable).parent / "nbgrader"
    subprocess.run([str(nbgrader), "export", "--to", "grades.csv"], cwd=root, check=True, capture_output=True)
    rows = list(csv.DictReader(open(root / "grades.csv")))
    assert {(r["assignment"], r["student_id"]) for r in rows} >= set(submitted(root, modules, students))
    reference = [r for r in rows if r["student_id"] == "reference"]
    assert all(float(r["score"]) == float(r["max_score"]) for r in reference)
