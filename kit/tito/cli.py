"""tito: one command for the tinytorch course.

  tito init [FOLDER] [--student ID]   copy the course notebooks into a work folder
  tito status                         per module: stubs left, visible tests, checkpoint
  tito test 07                        run 07's visible tests against your own library
  tito export                         build your own tinytorch/ from your notebooks
  tito checkpoint [07]                the capability checkpoints, against your library
  tito next                           the next module, and why
  tito lab [JUPYTER OPTIONS]          JupyterLab with your library on the path
  tito submit 07 [--student ID]       a checked zip to upload (or nbgrader submit)

Exit codes: 0 done (tests pass, checkpoint reached), 1 something of yours failed, 2 usage error."""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from . import __version__
from ._course.notebooks import NotebookError
from .course import Module, find_module, modules
from .runner import kernel_environment, run_checkpoint, run_notebook_tests
from .ui import UI
from .workspace import Workspace, WorkspaceError


def _ensure_library(work: Workspace, ui: UI) -> None:
    "Rebuild the student's library if a notebook changed since it was built."
    if work.ensure_library():
        ui.say(f"built your library in {work.library}", "dim")


# --- init, export -----------------------------------------------------------------------------

def cmd_init(args, ui: UI) -> int:
    work, copied = Workspace.create(Path(args.folder), args.student)
    ui.say(f"work folder: {work.folder}", "title")
    ui.say(f"copied {len(copied)} notebook(s): {', '.join(copied)}" if copied else "every notebook was already there (kept)")
    ui.say(f"next: cd {work.folder} && tito lab   (then `tito status` at any time)")
    return 0


def cmd_export(args, ui: UI) -> int:
    work = Workspace.find(args.dir)
    stubs = work.export()
    ui.say(f"built your library in {work.library}", "dim")
    for module, count in stubs.items():
        ui.say(f"  {module:<16} " + ("complete" if not count else f"{count} part(s) still raise NotImplementedError"),
               "ok" if not count else "todo")
    return 0


# --- status, next -----------------------------------------------------------------------------

def _tests_cell(work: Workspace, module: Module) -> tuple[str, str | None]:
    result, stale = work.recorded("tests", module)
    if result is None:
        return "not run", "dim"
    text = f"{result['passed']}/{result['total']} pass" + (" (notebook changed since)" if stale else "")
    return text, "ok" if result["passed"] == result["total"] and not stale else "todo"


def _checkpoint_cell(work: Workspace, module: Module) -> tuple[str, str | None]:
    result, stale = work.recorded("checkpoints", module)
    capability = module.declared("CAPABILITY") or "(none declared)"
    if result is None:
        return f"- {capability}", "dim"
    if result["reached"]:
        return f"✓ {capability}" + (" (notebook changed since)" if stale else ""), "todo" if stale else "ok"
    return f"✗ {capability}", "fail"


def _reached(work: Workspace, module: Module) -> bool:
    result, stale = work.recorded("checkpoints", module)
    return bool(result and result["reached"] and not stale)


def cmd_status(args, ui: UI) -> int:
    work = Workspace.find(args.dir)
    rows = []
    unreadable = []
    for module in modules():
        try:
            stubs = work.stubs(module)
        except NotebookError as error:
            unreadable.append(str(error))
            stubs = -1
        stub_cell = (("missing", "fail") if stubs is None else ("unreadable", "fail") if stubs < 0
                     else ("none", "ok") if stubs == 0 else (str(stubs), "todo"))
        rows.append([(module.name, None), stub_cell, _tests_cell(work, module), _checkpoint_cell(work, module)])
    ui.table(f"tinytorch course: {work.folder}", ["module", "stubs left", "visible tests", "checkpoint"], rows)
    for error in unreadable:
        ui.say(f"error: {error}", "fail")
    return 1 if unreadable else 0


def cmd_next(args, ui: UI) -> int:
    work = Workspace.find(args.dir)
    ordered = modules()
    done = [m for m in ordered if _reached(work, m)]
    todo = [m for m in ordered if not _reached(work, m)]
    if not todo:
        ui.say("every checkpoint is reached: the course is complete.", "ok")
        return 0
    module = todo[0]
    previous = ordered[ordered.index(module) - 1] if ordered.index(module) else None
    ui.say(f"next: {module.name}  ({module.declared('CAPABILITY') or 'no checkpoint declared'})", "title")
    if previous is not None:
        ui.say(f"why: {previous.declared('LIMIT') or 'it follows ' + previous.name}")
        if previous not in done:
            ui.say(f"(checkpoint {previous.name} is not reached yet: `tito checkpoint {previous.number}`)", "todo")
    else:
        ui.say("why: it is where the course starts.")
    stubs = work.stubs(module)
    if stubs:
        ui.say(f"{stubs} part(s) of {module.name} still raise NotImplementedError; then `tito test {module.number}` "
               f"and `tito checkpoint {module.number}`.")
    else:
        ui.say(f"run `tito test {module.number}`, then `tito checkpoint {module.number}`.")
    return 0


# --- test -------------------------------------------------------------------------------------

def cmd_test(args, ui: UI) -> int:
    work = Workspace.find(args.dir)
    module = find_module(args.module)
    notebook = work.require_notebook(module)
    _ensure_library(work, ui)
    ui.say(f"running {notebook.name} headless against your library (visible tests only) ...", "dim")
    results = run_notebook_tests(notebook, work.folder)
    rows = [[(r.grade_id, None), ("pass", "ok") if r.passed else ("FAIL", "fail"), (r.message or r.about, None)]
            for r in results]
    passed = sum(r.passed for r in results)
    ui.table(f"{module.name}: {passed}/{len(results)} visible tests pass", ["test", "result", "message"], rows)
    work.record("tests", module, {"passed": passed, "total": len(results),
                                  "failed": [r.grade_id for r in results if not r.passed]})
    if passed == len(results):
        ui.say(f"all visible tests pass; hidden and performance tests run when you are graded. "
               f"Next: `tito checkpoint {module.number}`", "ok")
        return 0
    return 1


# --- checkpoint -------------------------------------------------------------------------------

def _checkpoint(work: Workspace, module: Module, ui: UI) -> bool:
    capability = module.declared("CAPABILITY")
    if module.checkpoint is None:
        ui.say(f"{module.name}: no checkpoint declared", "dim")
        return False
    stubs = work.stubs(module)
    if stubs is None or stubs:
        why = "its notebook is missing" if stubs is None else f"{stubs} part(s) still raise NotImplementedError"
        ui.say(f"{module.name}: not yet: {why}", "todo")
        return False
    total = len([line for line in module.checkpoint.read_text().splitlines() if line.startswith("def check_")])
    steps = []
    with ui.progress(f"{module.name}: {capability}", total) as advance:
        for step in run_checkpoint(module.checkpoint, work.folder):
            steps.append(step)
            advance(step.name)
            mark = "✓" if step.passed else "✗"
            ui.say(f"  {mark} {step.about or step.name} ({step.seconds:.1f} s)" + (f": {step.message}" if step.message else ""),
                   "ok" if step.passed else "fail")
    reached = bool(steps) and all(s.passed for s in steps) and len(steps) == total
    ui.say(f"{module.name}: checkpoint {'reached' if reached else 'not reached'}: {capability}",
           "ok" if reached else "fail")
    work.record("checkpoints", module, {"reached": reached, "failed": [s.message for s in steps if not s.passed]})
    return reached


def cmd_checkpoint(args, ui: UI) -> int:
    work = Workspace.find(args.dir)
    chosen = [find_module(args.module)] if args.module else modules()
    _ensure_library(work, ui)
    reached = [_checkpoint(work, module, ui) for module in chosen]
    ui.say(f"{sum(reached)}/{len(chosen)} checkpoint(s) reached", "title")
    return 0 if all(reached) else 1


# --- lab --------------------------------------------------------------------------------------

def lab_command(work: Workspace, options: list[str]) -> tuple[list[str], dict[str, str]]:
    "JupyterLab on the work folder, the student's library first on the kernels' path, options passed through."
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or "jupyter"
    return [jupyter, "lab", f"--notebook-dir={work.folder}", *options], kernel_environment(work.folder)


def cmd_lab(args, ui: UI) -> int:
    work = Workspace.find(args.dir)
    _ensure_library(work, ui)
    argv, env = lab_command(work, args.options)
    if args.dry_run:
        print(" ".join(argv))
        return 0
    os.execve(argv[0], argv, env)


# --- submit -----------------------------------------------------------------------------------

def submission_problems(notebook: Path, module: Module) -> list[str]:
    """What would make a submission ungradable or lose points for nothing: an unreadable
    notebook, test cells deleted or edited (the grader restores them, your edits do not count)."""
    from ._course.notebooks import NotebookError, read_notebook

    try:
        mine = read_notebook(notebook)
    except NotebookError as error:
        return [str(error)]
    released = read_notebook(module.release)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in mine.cells}
    problems = []
    for cell in released.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade"):
            continue
        theirs = cells.get(meta["grade_id"])
        if theirs is None:
            problems.append(f"test cell '{meta['grade_id']}' was deleted: copy it back from {module.release}")
        elif theirs.source != cell.source:
            problems.append(f"test cell '{meta['grade_id']}' was edited: undo the edit (the grader uses the original)")
    return problems


def cmd_submit(args, ui: UI) -> int:
    work = Workspace.find(args.dir)
    module = find_module(args.module)
    notebook = work.require_notebook(module)
    problems = submission_problems(notebook, module)
    for problem in problems:
        ui.say(f"  ✗ {notebook.name}: {problem}", "fail")
    if problems:
        ui.say("not submitted: fix the above first", "fail")
        return 1
    stubs = work.stubs(module)
    if stubs:
        ui.say(f"note: {stubs} part(s) still raise NotImplementedError; their tests will score 0", "todo")
    if (work.folder / "nbgrader_config.py").exists():  # the course uses nbgrader's exchange
        command = [shutil.which("nbgrader", path=str(Path(sys.executable).parent)) or "nbgrader", "submit", module.name]
        ui.say("nbgrader exchange configured (nbgrader_config.py): " + " ".join(command), "dim")
        return subprocess.run(command, cwd=work.folder).returncode and 1
    student = args.student or work.settings().get("student")
    if not student:
        ui.say("who are you? pass --student ID (your course id), or set it once with `tito init --student ID`", "fail")
        return 2
    out = work.folder / "submissions" / f"{student}-{module.name}.zip"
    out.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(notebook, f"{student}/{module.name}/{module.name}.ipynb")
    ui.say(f"submission ready: {out}", "ok")
    ui.say(f"upload it; your instructor unzips it into the course's submitted/ folder "
           f"(it holds {student}/{module.name}/{module.name}.ipynb)", "dim")
    return 0


# --- command line -----------------------------------------------------------------------------

def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tito", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"tito {__version__}")
    p.add_argument("--dir", type=Path, help="the work folder (default: the one holding the current folder)")
    p.add_argument("--plain", action="store_true", help="no colours or progress bars")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("init", help="copy the course notebooks into a work folder (existing ones are kept)")
    s.add_argument("folder", nargs="?", default="tinytorch-course")
    s.add_argument("--student", help="your course id (used by `tito submit`)")
    sub.add_parser("status", help="per module: stubs left, visible tests, checkpoint")
    s = sub.add_parser("test", help="run a module's visible tests against your own library")
    s.add_argument("module", help="its number (07) or name (07_autograd)")
    sub.add_parser("export", help="build your own tinytorch/ from your notebooks")
    s = sub.add_parser("checkpoint", help="run the capability checkpoints (all, or one module's)")
    s.add_argument("module", nargs="?")
    sub.add_parser("next", help="the next module, and why")
    s = sub.add_parser("lab", help="JupyterLab with your library on the path; other options go to jupyter lab")
    s.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
    s = sub.add_parser("submit", help="a checked zip of a module for upload (or nbgrader submit)")
    s.add_argument("module")
    s.add_argument("--student", help="your course id (default: the one given to `tito init`)")
    return p


def main(argv: list[str] | None = None) -> int:
    args, extra = parser().parse_known_args(argv)
    if extra and args.command != "lab":
        parser().error(f"unrecognized arguments: {' '.join(extra)}")
    args.options = extra
    ui = UI(rich=False if args.plain else None)
    handler = {"init": cmd_init, "status": cmd_status, "test": cmd_test, "export": cmd_export,
               "checkpoint": cmd_checkpoint, "next": cmd_next, "lab": cmd_lab, "submit": cmd_submit}[args.command]
    try:
        return handler(args, ui)
    except (WorkspaceError, LookupError) as error:
        ui.say(f"error: {error}", "fail")
        return 2
    except (NotebookError, FileNotFoundError) as error:  # a notebook of the student's cannot be read
        ui.say(f"error: {error}", "fail")
        return 1
