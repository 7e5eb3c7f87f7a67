"""Each module's student notebook, as a student meets it in JupyterLab (headless Chromium).

Filled in with the reference answers, after Run All Cells:
  * every code cell ran and no cell shows an error (the visible tests pass);
  * every ipywidgets output renders as a widget view, not the plain-text fallback
    (`interactive(children=...`), "Error displaying widget" or a stuck "Loading widget...";
  * each widget reacts: changing its first control changes its output area (text, HTML,
    pictures), with no traceback, and no picture in it turns (almost) blank;
  * the module has at least one widget (docs/AUTHORING.md, "Visualisations").
Untouched (the release as given), every cell run even past failures:
  * each visible test fails helpfully: NotImplementedError from the stub, or an AssertionError
    with a message;
  * widget cells raise nothing and their views render without a traceback, also after their
    first control is changed (they say "implement X above" instead).

Screenshots of the whole notebook go to test-artifacts/browser/<module>.png and
<module>_untouched.png. The modules are those in release/, so a new module is covered without
editing this file.
"""
from __future__ import annotations

import pytest

from course.notebooks import read_notebook
from labdriver import REACT_TIMEOUT_MS, Cell, LabNotebook, error_line, release_modules

pytestmark = pytest.mark.browser

MODULES = release_modules()
PARAMS = MODULES or [pytest.param(None, id="no-modules")]


# --- what the release says about each cell ---------------------------------------------------------

def _code_lines(source: str) -> list[str]:
    return [l for l in source.splitlines() if l.strip() and not l.lstrip().startswith("#")]


def describe(nb, index: int) -> str:
    "A cell as a person finds it: its number and first line of code."
    lines = _code_lines(nb.cells[index].source) or nb.cells[index].source.splitlines() or [""]
    line = lines[0].strip()
    return f"cell {index} (`{line[:60]}{'…' if len(line) > 60 else ''}`)"


def grade_id(nb, index: int) -> str:
    return nb.cells[index].metadata.get("nbgrader", {}).get("grade_id", "?")


def visible_tests(nb) -> list[int]:
    "Graded cells with code left in the release (hidden-only test cells are comments there)."
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
            and c.metadata.get("nbgrader", {}).get("grade") and _code_lines(c.source)]


def code_cells(nb) -> list[int]:
    "Cells JupyterLab executes (it skips empty ones)."
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]


def _require(module, lab_workspace):
    if module is None:
        pytest.fail("release/ holds no module notebook (release/NN_name/NN_name.ipynb): "
                    "run `python -m course build`", pytrace=False)
    if module in lab_workspace.problems:
        pytest.fail(lab_workspace.problems[module], pytrace=False)


# --- checks shared by both runs ------------------------------------------------------------------

def not_run(nb, cells: list[Cell]) -> list[str]:
    by_index = {c.index: c for c in cells}
    missing = [i for i in code_cells(nb) if by_index.get(i) is None or by_index[i].count is None]
    if not missing:
        return []
    return [f"{len(missing)} code cells did not run (no execution count), first {describe(nb, missing[0])}"]


def plain_text_widgets(nb, cells: list[Cell]) -> list[str]:
    "Widgets shown as their repr: the front end had no widget manager for them."
    problems = []
    for cell in cells:
        for out in cell.outputs:
            text = (out.text or "").lstrip()
            if not out.widget and out.type in ("execute_result", "display_data") and \
                    text.split("(", 1)[0].isidentifier() and "(children=" in text[:40]:
                problems.append(f"{describe(nb, cell.index)} shows a widget as plain text: {text[:60]!r}")
    return problems


def view_problems(lab: LabNotebook, nb, view: str) -> list[str]:
    "A widget output must be a rendered view: no fallback text, no error, no traceback."
    where = f"{describe(nb, int(view.split('.')[0]))}, widget output {view.split('.')[1]}"
    status = lab.view_status(view)
    if not status["found"]:
        return [f"{where}: no output element in the page"]
    if status["loading"]:
        return [f"{where}: stuck at 'Loading widget...'"
                + "".join(f"\n      console {m}" for m in lab.widget_console_errors())]
    if status["error"] or not status["rendered"]:
        return [f"{where}: not rendered as a widget (mime {status['mime']}): {status['text'][:120]!r}"
                + "".join(f"\n      console {m}" for m in lab.widget_console_errors())]
    if status["traceback"]:
        return [f"{where}: shows a traceback ending `{status['tracebackLine']}`"]
    return []


def traceback_after_change(lab: LabNotebook, nb, view: str, action: dict) -> list[str]:
    status = lab.view_status(view)
    if status.get("traceback"):
        return [f"{describe(nb, int(view.split('.')[0]))}: after changing its first control "
                f"({action['label']}) it shows a traceback ending `{status['tracebackLine']}`"]
    return []


def faded_pictures(where: str, action: dict, before: list, after: list) -> list[str]:
    """A picture (a matplotlib figure) that lost most of its ink when the control changed was
    drawn only in part or blank: a plot the student cannot read."""
    problems = []
    for k, (old, new) in enumerate(zip(before, after)):
        if old is not None and new is not None and old > 0.005 and new < 0.3 * old:
            problems.append(f"{where}: after changing its first control ({action['label']}) picture "
                            f"{k} is almost empty ({new:.2%} of its pixels drawn, {old:.2%} before): "
                            "a plot drawn only in part or blank")
    return problems


def screenshot(lab: LabNotebook, path) -> None:
    try:
        lab.screenshot(path)
    except Exception as e:  # never hide the test's own failure behind a screenshot problem
        print(f"screenshot {path} failed: {e}")


def report(module: str, what: str, problems: list[str], png) -> str:
    return (f"{module} ({what}) in JupyterLab:\n  - " + "\n  - ".join(problems)
            + f"\n  screenshot: {png}")


# --- the two runs ------------------------------------------------------------------------------------

def check_reference(lab: LabNotebook, nb, module: str, widget_cells_seen: dict) -> list[str]:
    "Run All on the filled-in notebook; what is wrong, as sentences."
    problems: list[str] = []
    lab.open()
    run_problem = lab.run_all()
    problems += [run_problem] if run_problem else []
    lab.wait_for_widgets()
    cells = lab.cells()
    problems += not_run(nb, cells)
    for cell in cells:  # (1) nothing fails, visible tests included
        for err in cell.errors:
            kind = f"visible test {grade_id(nb, cell.index)}" if cell.index in visible_tests(nb) else "it"
            problems.append(f"{describe(nb, cell.index)}: {kind} raised `{error_line(err)}`")
    problems += plain_text_widgets(nb, cells)
    views = [v for c in cells for v in c.widget_views]
    widget_cells_seen[module] = {int(v.split(".")[0]) for v in views}
    if not views:
        problems.append("no ipywidgets widget in the notebook (docs/AUTHORING.md: each module "
                        "has at least one)")
    for view in views:
        rendering = view_problems(lab, nb, view)  # (2) a real widget view
        problems += rendering
        if rendering:
            continue
        where = describe(nb, int(view.split(".")[0]))  # (3) it reacts to its first control
        before = lab.snapshot(view)
        if not before or before["count"] == 0:
            problems.append(f"{where}: the widget has no output area (an Output, HTML or Image "
                            "widget) whose change could be seen; use interactive/interact or "
                            "controls with an Output")
            continue
        lab.settle(view)
        before = lab.snapshot(view)["value"]
        ink_before = lab.ink(view)
        action = lab.change_first_control(view)
        if action["kind"] in ("none", "fixed"):
            problems.append(f"{where}: no control to change ({action['kind']}); the first control "
                            "must be a slider, dropdown, button, toggle, checkbox or text box "
                            "with a choice to make")
            continue
        if lab.wait_for_change(view, before) is None:
            problems.append(f"{where}: its output did not change within "
                            f"{REACT_TIMEOUT_MS // 1000} s after changing its first control "
                            f"({action['label']})")
        else:
            problems += faded_pictures(where, action, ink_before, lab.ink(view))
        problems += traceback_after_change(lab, nb, view, action)
    return problems


def check_untouched(lab: LabNotebook, nb, module: str, widget_cells_seen: dict) -> list[str]:
    "Every cell of the untouched release run, past failures; what is wrong, as sentences."
    problems: list[str] = []
    lab.open()
    run_problem = lab.run_all_despite_errors(code_cells(nb))
    problems += [run_problem] if run_problem else []
    lab.wait_for_widgets()
    cells = lab.cells()
    by_index = {c.index: c for c in cells}
    problems += not_run(nb, cells)
    for i in visible_tests(nb):  # each visible test fails, with a message that helps
        errors = by_index[i].errors
        name = f"{describe(nb, i)}: visible test {grade_id(nb, i)}"
        if not errors:
            if by_index[i].count is not None:
                problems.append(f"{name} passes on the untouched release: it does not test "
                                "anything the student writes")
            continue
        err = errors[-1]
        helpful = err.ename == "NotImplementedError" or (
            err.ename == "AssertionError" and (err.evalue or "").strip())
        if not helpful:
            problems.append(f"{name} fails with `{error_line(err)}`: expected the stub's "
                            "NotImplementedError or an AssertionError with a message")
    problems += plain_text_widgets(nb, cells)
    # Widget cells: those showing a widget here, and those that showed one with the answers.
    widget_cells = {c.index for c in cells if c.widget_views} | widget_cells_seen.get(module, set())
    for i in sorted(widget_cells):
        cell = by_index[i]
        for err in cell.errors:
            problems.append(f"{describe(nb, i)}: the widget cell raised `{error_line(err)}`; catch "
                            "NotImplementedError and show 'implement X above to see ...' instead")
        if not cell.widget_views and not cell.errors:
            problems.append(f"{describe(nb, i)}: shows no widget on the untouched release "
                            "(it does with the reference answers)")
        for view in cell.widget_views:
            rendering = view_problems(lab, nb, view)
            problems += rendering
            if rendering:
                continue
            action = lab.change_first_control(view)  # playing with it must not break it either
            if action["kind"] not in ("none", "fixed"):
                lab.settle(view)
                problems += traceback_after_change(lab, nb, view, action)
    return problems


# --- the tests -------------------------------------------------------------------------------------

def check_in_lab(module, kind, check, lab_workspace, jupyter_lab, lab_page, png, widget_cells_seen):
    """Open the `kind` ("reference" or "release") notebook of `module`, run `check` on it, save a
    screenshot to `png` whatever happens, and fail with every problem found."""
    _require(module, lab_workspace)
    with LabNotebook(lab_page, jupyter_lab, lab_workspace.relpath(kind, module)) as lab:
        try:
            problems = check(lab, read_notebook(lab_workspace.path(kind, module)), module, widget_cells_seen)
        finally:
            screenshot(lab, png)
    if problems:
        label = "reference answers" if kind == "reference" else "untouched release"
        pytest.fail(report(module, label, problems, png), pytrace=False)


@pytest.mark.parametrize("module", PARAMS)
def test_reference_answers_run_and_widgets_react(module, lab_workspace, jupyter_lab, lab_page, artifacts,
                                                  widget_cells_seen):
    check_in_lab(module, "reference", check_reference, lab_workspace, jupyter_lab, lab_page,
                 artifacts / f"{module}.png", widget_cells_seen)


@pytest.mark.parametrize("module", PARAMS)
def test_untouched_release_fails_helpfully_and_widgets_still_render(module, lab_workspace, jupyter_lab,
                                                                     lab_page, artifacts, widget_cells_seen):
    check_in_lab(module, "release", check_untouched, lab_workspace, jupyter_lab, lab_page,
                 artifacts / f"{module}_untouched.png", widget_cells_seen)
