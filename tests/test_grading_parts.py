"""The grading pieces on their own: feedback scrubbing, undoing stray writes, restoring cells."""
from __future__ import annotations

import os

import nbformat
import pytest

from course.grading.autograde import Snapshot, error_summary
from course.grading.feedback import HIDDEN_NOTE, HideHiddenTests, hide_hidden_tests


def test_hidden_regions_are_replaced_keeping_visible_lines():
    source = ("# Hidden tests: shapes\nx = 1\n    ### BEGIN HIDDEN TESTS\n    assert secret()\n"
              "    ### END HIDDEN TESTS\nprint(x)")
    assert hide_hidden_tests(source) == f"# Hidden tests: shapes\nx = 1\n    {HIDDEN_NOTE}\nprint(x)"


def test_feedback_preprocessor_removes_hidden_code_and_its_traceback():
    cell = nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\nassert f(3) == 9, 'f(3) is wrong'\n### END HIDDEN TESTS")
    cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="f(3) is wrong",
                                           traceback=["\x1b[31mTraceback", "----> 2 assert f(3) == 9"])]
    visible = nbformat.v4.new_code_cell("assert f(1) == 1")
    nb = nbformat.v4.new_notebook(cells=[cell, visible])
    nb, _ = HideHiddenTests().preprocess(nb, {})
    assert "f(3) == 9" not in nb.cells[0].source
    assert nb.cells[0].outputs[0].traceback == ["AssertionError: f(3) is wrong"]
    assert nb.cells[1].source == "assert f(1) == 1"


def test_snapshot_undoes_changes_outside_the_allowed_folder(tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "a.txt").write_text("original")
    (tmp_path / "source" / "same-size.txt").write_text("12345")
    allowed = (tmp_path / "autograded" / "s" / "m",)
    allowed[0].mkdir(parents=True)
    snapshot = Snapshot(tmp_path, ("source", "autograded"))
    (tmp_path / "source" / "a.txt").write_text("pwned")
    stat = (tmp_path / "source" / "same-size.txt").stat()
    (tmp_path / "source" / "same-size.txt").write_text("54321")  # same size, times set back:
    os.utime(tmp_path / "source" / "same-size.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    (tmp_path / "source" / "new.txt").write_text("planted")
    (allowed[0] / "ok.ipynb").write_text("allowed")
    assert snapshot.restore(allowed) == ["changed source/a.txt", "changed source/same-size.txt",
                                         "created source/new.txt"]
    assert (tmp_path / "source" / "a.txt").read_text() == "original"
    assert (tmp_path / "source" / "same-size.txt").read_text() == "12345"
    assert not (tmp_path / "source" / "new.txt").exists()
    assert (allowed[0] / "ok.ipynb").exists()
    assert snapshot.restore(allowed) == []  # restoring is not itself a change


def test_snapshot_protects_what_it_accepted(tmp_path):
    "A graded notebook, once accepted, is protected from the submissions graded after it."
    first = tmp_path / "autograded" / "a" / "m"
    first.mkdir(parents=True)
    snapshot = Snapshot(tmp_path, ("autograded",))
    (first / "graded.ipynb").write_text("a's grade")
    snapshot.accept((first,))
    (first / "graded.ipynb").write_text("spoiled by b")
    assert snapshot.restore((tmp_path / "autograded" / "b" / "m",)) == ["changed autograded/a/m/graded.ipynb"]
    assert (first / "graded.ipynb").read_text() == "a's grade"


def test_error_summary_explains_a_dead_kernel():
    log = "[ERROR] ...\n    raise DeadKernelError('Kernel died') from None\n    nbclient.exceptions.DeadKernelError: Kernel died\n"
    assert error_summary(log) == "the kernel died: the notebook exited Python or crashed it"
    assert error_summary("    ValueError: bad cell\nNbGraderException: see above") == "ValueError: bad cell"
    assert error_summary("all fine") == ""
    # when nbgrader's own exception is all there is, it is the reason (not an empty one)
    assert error_summary("[AutogradeApp | ERROR] ...\nNbGraderException: No assignment with ID '02_tensor' exists") == (
        "NbGraderException: No assignment with ID '02_tensor' exists")


def test_demo_student_files_replace_edit_and_delete_cells(tmp_path):
    "The demo format: a whole replacement, an edit by hunks (each reference text found once), a deletion."
    from nbformat.v4 import new_code_cell, new_notebook

    from course import demo

    def cell(grade, source):
        c = new_code_cell(source)
        c.metadata["nbgrader"] = {"grade_id": grade}
        return c
    nb = new_notebook(cells=[cell("a", "x = 1"), cell("b", "def f():\n    return 1\n\ny = f()"), cell("c", "z = 3")])
    path = tmp_path / "student.py"
    path.write_text("# %% a\nx = 2\n\n# %% b (edit)\n<<<<<<< reference\n    return 1\n=======\n"
                    "    return 2  # wrong\n>>>>>>> student\n\n# %% c (delete)\n")
    demo.apply_variant(nb, demo.read_variant(path), path)
    assert [c.source for c in nb.cells] == ["x = 2", "def f():\n    return 2  # wrong\n\ny = f()"]
    ambiguous = [("1", "2")]  # "1" occurs twice in "x = 1; y = 1"
    with pytest.raises(ValueError, match="occurs 2 times"):
        demo.apply_edit("x = 1; y = 1", ambiguous, "demo/student.py, cell b")
    path.write_text("# %% b (edit)\nreturn 2\n")
    with pytest.raises(ValueError, match="has no '<<<<<<< reference' hunk"):
        demo.read_variant(path)


def test_feedback_removes_output_lines_that_show_hidden_tests():
    "A student's code may print the hidden test it was called from: feedback drops those lines."
    test = nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\nassert secret_check(3) == 9, 'wrong'\n### END HIDDEN TESTS")
    student = nbformat.v4.new_code_cell("print(stolen)")
    student.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                              text="before\nassert secret_check(3) == 9, 'wrong'\nafter\n")]
    nb, _ = HideHiddenTests().preprocess(nbformat.v4.new_notebook(cells=[test, student]), {})
    assert nb.cells[1].outputs[0].text == "before\nafter\n[1 line(s) showing hidden test code removed]\n"
    assert "secret_check" not in nb.cells[0].source


def test_parallel_grading_pins_each_job_and_keeps_what_jobs_in_flight_write(tmp_path, monkeypatch):
    "autograde(jobs=2) on a fake grader: two at a time, distinct cores, no in-flight output reverted."
    import threading
    import time

    from course.grading import autograde as grading

    students = ["a", "b", "c", "d"]
    for s in students:
        (tmp_path / "submitted" / s / "m").mkdir(parents=True)
        (tmp_path / "submitted" / s / "m" / "m.ipynb").write_text(s)
    for name in ("grading_library", "ensure_assignments", "check_sandbox"):
        monkeypatch.setattr(grading, name, lambda *args, **kwargs: None)
    monkeypatch.setattr(grading, "course_checksum", lambda root, module: "course")
    monkeypatch.setattr(grading, "usable_cores", lambda: [0, 1])
    running, used, lock = set(), [], threading.Lock()
    overlap = threading.Barrier(2, timeout=10)  # the first two must be graded at the same time

    def fake_grade(root, module, student, time_limit=600, cores=None, db_url=None):
        slot = cores
        with lock:
            assert not set(slot) & {c for s in running for c in s[1]}  # a core of its own
            running.add((student, tuple(slot)))
            used.append(tuple(slot))
        if student in ("a", "b"):
            overlap.wait()
        folder = root / "autograded" / student / module
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "m.ipynb").write_text(f"graded {student}")
        time.sleep(0.05)
        with lock:
            running.discard((student, tuple(slot)))
        log = grading.log_path(root, module, student)
        log.parent.mkdir(parents=True, exist_ok=True)
        return grading.Outcome(module, student, "graded", 0.05, log)

    monkeypatch.setattr(grading, "grade_submission", fake_grade)
    lines = []
    outcomes = grading.autograde(tmp_path, ["m"], students, progress=lines.append, jobs=2)
    assert [o.student for o in outcomes] == students and len(lines) == 4
    assert all(o.tampered == [] for o in outcomes)
    assert set(used) == {(0,), (1,)}
    assert all((tmp_path / "autograded" / s / "m" / "m.ipynb").read_text() == f"graded {s}" for s in students)
    assert all(len(o.submission_sha256) == 64 and o.course_sha256 == "course" for o in outcomes)


def test_checksums_change_with_content_and_name(tmp_path):
    from course.grading.autograde import files_checksum

    folder = tmp_path / "s" / "m"
    folder.mkdir(parents=True)
    (folder / "m.ipynb").write_text("x")
    first = files_checksum([folder])
    assert files_checksum([folder]) == first
    (folder / "m.ipynb").write_text("y")
    assert files_checksum([folder]) != first
    (folder / "m.ipynb").rename(folder / "n.ipynb")
    (folder / "n.ipynb").write_text("x")
    assert files_checksum([folder]) != first


def test_feedback_is_stale_only_for_what_was_graded_after_it(tmp_path):
    from course.grading.feedback import stale_feedback

    for s in ("old", "new", "none"):
        (tmp_path / "autograded" / s / "m").mkdir(parents=True)
        (tmp_path / "autograded" / s / "m" / "m.ipynb").write_text("graded")
    for s, when in (("old", 2_000_000_000), ("new", 1_000_000_000)):
        page = tmp_path / "feedback" / s / "m" / "m.html"
        page.parent.mkdir(parents=True)
        page.write_text("feedback")
        os.utime(page, ns=(when * 10**9, when * 10**9))
    assert stale_feedback(tmp_path, ["m"], ["old", "new", "none", "absent"]) == [("m", "new"), ("m", "none")]


def test_a_stub_hit_inside_the_sandbox_is_named_in_the_report():
    "The harness's error output keeps the stub's name (only that), which the report and feedback show."
    import nbformat

    from course.grading.feedback import error_message
    from course.grading.harness import _error

    def dot_loop(a, b):
        raise NotImplementedError()

    def test_cell():
        dot_loop([1], [2])

    for raised, expected in ((test_cell, "NotImplementedError: dot_loop() is still a stub (# YOUR CODE HERE)"),
                             (lambda: exec("raise NotImplementedError()"),
                              "NotImplementedError: still a stub (# YOUR CODE HERE)")):
        try:
            raised()
        except NotImplementedError as error:
            output = nbformat.from_dict(_error(error))
        assert error_message(output) == expected
        assert not any("test_grading_parts" in line for line in output.traceback)
