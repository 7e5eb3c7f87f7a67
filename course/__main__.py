"""Command line of the course tooling: `python -m course COMMAND`.

Maintainers:  export, build, check, stats, lab
Instructors:  grade, report, leaderboard, demo, kit (the student kit: notebooks, checkpoints, the tito CLI)
Students:     student build DIR, student lab DIR (or, from the kit, `tito`)
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from . import ROOT
from .checks import EXIT_USAGE, UsageError
from .notebooks import NotebookError, module_notebooks


def _modules(args) -> list[str]:
    from .checks import check_modules

    return check_modules(ROOT, args.module)


def _selection(args) -> tuple[list[str], list[str], int]:
    """The modules and students `grade`/`report` asked for, checked (checks.UsageError explains a
    mistake), and how many misnamed notebooks there are (each reported here)."""
    from .checks import check_students, misnamed_notebooks

    modules = _modules(args)
    students = check_students(ROOT, modules, args.student)
    misnamed = misnamed_notebooks(ROOT, modules, students)
    for notebook in misnamed:
        print(f"warning: {notebook.message(ROOT)}", file=sys.stderr)
    return modules, students, len(misnamed)


def _exit_code(results: dict, misnamed: int = 0) -> int:
    "0 if every submission was graded by the course's grader, else 1 (README: exit codes)."
    from .checks import EXIT_FAILED, EXIT_OK
    from .grading.report import failures, graded_count

    bad = failures(results) + misnamed
    if not graded_count(results):
        print("nothing was graded", file=sys.stderr)
        return EXIT_FAILED
    if bad:
        print(f"{bad} submission(s) not graded by the course's grader: see the notes above", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_export(args) -> int:
    from .library import export_reference

    exports = export_reference(ROOT)
    print(f"exported {len(exports)} modules to tinytorch/: {', '.join(e.name for e in exports)}")
    return 0


def cmd_build(args) -> int:
    from .build import build

    start = time.perf_counter()
    names = build(ROOT)
    print(f"built tinytorch/, source/ and release/ for {', '.join(names)} "
          f"in {time.perf_counter() - start:.1f} s\n")
    return cmd_stats(args)


def cmd_stats(args) -> int:
    "Per module: the library lines it exports, how many of them students write, and the share."
    from .library import module_stats, stats_table

    print("library code per module (non-blank exported lines; students write those in solution regions):")
    print(stats_table([module_stats(p) for p in module_notebooks(ROOT / "nbs")]))
    return 0


def cmd_check(args) -> int:
    from .build import stale_files

    stale = stale_files(ROOT)
    for line in stale:
        print(line)
    if stale:
        print("generated files are stale: run `python -m course build` and commit the result")
        return 1
    print("tinytorch/, source/ and release/ match a fresh build")
    return 0


def _local_grader(jobs: int | None = None, regrade: bool = False, db_url: str | None = None):
    """Grade on this machine, `jobs` submissions at a time (default: the usable cores), into the
    gradebook at `db_url` (default: gradebook.db)."""
    def grade(modules: list[str], students: list[str]) -> None:
        from .grading.autograde import autograde, default_jobs

        n = jobs or default_jobs()
        print(f"autograding {', '.join(modules)} (each submission in its own sandbox, {n} at a time):")
        autograde(ROOT, modules, students, jobs=n, regrade=regrade, db_url=db_url)
    return grade


def _grader(args):
    """What grades: this machine (`--jobs`, `--regrade`), or Dask workers (`--scheduler
    tcp://host:8786`, `--cluster local`)."""
    if not (args.scheduler or args.cluster):
        return _local_grader(args.jobs, args.regrade, args.db_url)
    from .grading.distributed import cluster_client, distributed_autograde

    def grade(modules: list[str], students: list[str]) -> None:
        where = args.scheduler or f"a local Dask cluster of {args.workers} workers"
        print(f"autograding {', '.join(modules)} through {where} (results written here):")
        with cluster_client(args.scheduler, args.workers) as client:
            distributed_autograde(client, ROOT, modules, students, args.db_url)
    return grade


def _grade_and_report(modules: list[str], students: list[str], grade, db_url: str | None = None,
                      jobs: int | None = None) -> dict:
    """Grade with `grade`, write the feedback of what was graded (`jobs` pages at a time, default
    one per usable core) and print the table; the class's results."""
    from .checks import NothingToGrade, nothing_to_grade, submissions
    from .grading.autograde import default_jobs
    from .grading.feedback import generate_feedback, stale_feedback
    from .grading.report import class_results, grade_table, lost_points

    if not submissions(ROOT, modules, students):
        raise NothingToGrade(nothing_to_grade(ROOT, modules, students))
    grade(modules, students)
    stale = stale_feedback(ROOT, modules, students)  # what was (re)graded since
    for error in generate_feedback(ROOT, stale, jobs or default_jobs(), db_url):
        print(error, file=sys.stderr)
    results = class_results(ROOT, modules, students, db_url)
    print("\n" + grade_table(results, modules))
    lost = lost_points(results)
    if lost:
        print("\nLost points and notes:\n" + lost)
    print("\nFeedback for students (hidden tests removed): feedback/<student>/<module>/")
    return results


def cmd_grade(args) -> int:
    modules, students, misnamed = _selection(args)
    results = _grade_and_report(modules, students, _grader(args), args.db_url, args.jobs)
    return _exit_code(results, misnamed)


def cmd_report(args) -> int:
    from .grading.report import class_results, grade_table, lost_points

    modules, students, misnamed = _selection(args)
    results = class_results(ROOT, modules, students, args.db_url)
    print(grade_table(results, modules) + "\n\n" + lost_points(results))
    return _exit_code(results, misnamed)


def cmd_demo(args) -> int:
    """Build everything, grade the demo class, print the table and check it against expectations."""
    from . import demo
    from .build import build

    for folder in ("submitted", "autograded", "feedback"):  # a fresh class; keep READMEs
        for entry in (ROOT / folder).glob("*"):
            if entry.is_dir():
                shutil.rmtree(entry)
    (ROOT / "gradebook.db").unlink(missing_ok=True)
    start = time.perf_counter()
    modules = build(ROOT)
    print(f"built tinytorch/, source/ and release/ in {time.perf_counter() - start:.1f} s")
    students = demo.make_submissions(ROOT, modules)
    print(f"demo class: {', '.join(students)}")
    graded = _modules(args)
    results = _grade_and_report(graded, students, _local_grader(args.jobs), jobs=args.jobs)
    mismatches = demo.grade_mismatches(ROOT, results, graded) + demo.reference_errors(ROOT, graded)
    if mismatches:
        print("\nDEMO GRADES DIFFER FROM demo/*/expected.json (or the reference raised):\n" + "\n".join(mismatches))
        return 1
    print("\nEvery demo grade is as expected (demo/*/expected.json).")
    return 0


def cmd_leaderboard(args) -> int:
    "The capstone's class leaderboard (course/leaderboard.py) as one HTML file, from what grading recorded."
    from .leaderboard import MODULE, write_leaderboard

    start = time.perf_counter()
    out = Path(args.out)
    args.module = args.module or [MODULE]
    board = write_leaderboard(ROOT, out, _modules(args)[0], args.db_url)
    measured = sum(e.measured for e in board.entries)
    print(f"leaderboard of {board.module}: {len(board.entries)} graded submission(s), {measured} with measured "
          f"figures → {out} ({time.perf_counter() - start:.1f} s)")
    for entry in board.entries:
        if entry.note:
            print(f"  {entry.student}: {entry.note}")
    return 0


def cmd_student(args) -> int:
    from . import student
    from .library import DATA

    folder = Path(args.folder)
    stubs = student.build(folder, ROOT / DATA)
    print(f"built your library in {folder / 'tinytorch'}:")
    for module, count in stubs.items():
        print(f"  {module:<16} " + ("complete" if not count else f"{count} part(s) still raise NotImplementedError"))
    if args.action == "lab":
        student.lab(folder, args.options)
    return 0


def cmd_lab(args) -> int:
    "JupyterLab on the repository, the reference library importable (the .venv does not have it on its path)."
    from . import student

    student.lab(ROOT, args.options)
    return 0


def cmd_kit(args) -> int:
    "Build the student kit: a folder and a wheel (course/kit.py says what is in it)."
    from .kit import build_kit

    tree, wheel, modules = build_kit(ROOT, Path(args.out))
    print(f"student kit with {len(modules)} modules ({', '.join(modules)}):\n  {tree}\n  {wheel}\n"
          f"students install it into any Python 3.11 environment with\n  pip install {wheel.name}\n"
          "and then run `tito init` (see kit/README.md)")
    return 0


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)


def _jobs_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=_positive, default=None,
                        help="submissions graded at a time, each on a core of its own "
                             "(default: the number of usable cores)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("export", help="export nbs/ to the tinytorch/ library (nbdev, markers stripped)")
    sub.add_parser("build", help="export, then build source/ and release/ (nbgrader)")
    sub.add_parser("check", help="fail if tinytorch/, source/ or release/ differ from a fresh build")
    sub.add_parser("stats", help="per module: exported library lines, lines students write, their share")
    p = sub.add_parser("demo", help="build, autograde the bundled demo class, print the grade table")
    p.add_argument("--module", action="append", help="grade only this module (repeatable)")
    _jobs_option(p)
    for name, text in (("grade", "autograde submitted/, generate feedback, print the grade table"),
                       ("report", "print the grade table of what is already graded")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--module", action="append", help="only this module (repeatable)")
        p.add_argument("--student", action="append", help="only this student (repeatable)")
        p.add_argument("--db-url", metavar="URL", help="the gradebook: an SQLAlchemy URL such as "
                       "postgresql://user@host/db (default: gradebook.db in the course folder; a password "
                       "is better given as PGPASSWORD or in ~/.pgpass than in the URL)")
        if name == "grade":
            p.add_argument("--scheduler", metavar="tcp://HOST:8786",
                           help="grade on the workers of this Dask scheduler (each with its own copy of the course)")
            p.add_argument("--cluster", choices=["local"], help="grade on a Dask LocalCluster on this machine")
            p.add_argument("--workers", type=int, default=2, help="worker processes of --cluster local (default: 2)")
    _jobs_option(sub.choices["grade"])
    sub.choices["grade"].add_argument("--regrade", action="store_true",
                                      help="grade again submissions that are unchanged since they were graded")
    p = sub.add_parser("leaderboard", help="the capstone's class leaderboard (table and Pareto plot) as one HTML file")
    p.add_argument("--module", action="append", help="the capstone module (default: 20_capstone)")
    p.add_argument("--out", default="leaderboard.html", help="the HTML file to write (default: leaderboard.html)")
    p.add_argument("--db-url", metavar="URL", help="the gradebook (default: gradebook.db in the course folder)")
    p = sub.add_parser("student", help="build your own library from your notebooks (and open JupyterLab)")
    p.add_argument("action", choices=["build", "lab"])
    p.add_argument("folder", help="the folder holding your NN_name/NN_name.ipynb notebooks "
                                  "(other options, such as --allow-root, go to JupyterLab)")
    sub.add_parser("lab", help="JupyterLab on the repository (to edit nbs/), the reference library importable; "
                              "other options go to JupyterLab")
    p = sub.add_parser("kit", help="build the student kit (release notebooks, checkpoints, tito) as a folder and a wheel")
    p.add_argument("--out", default=str(ROOT / "dist"), help="where to write it (default: dist/)")
    args, extra = parser.parse_known_args(argv)
    if extra and not (args.command == "lab" or args.command == "student" and args.action == "lab"):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.options = extra  # JupyterLab's options, for `student lab DIR --allow-root ...`
    handler = {"export": cmd_export, "build": cmd_build, "check": cmd_check, "stats": cmd_stats, "demo": cmd_demo,
               "grade": cmd_grade, "report": cmd_report, "leaderboard": cmd_leaderboard, "student": cmd_student, "kit": cmd_kit, "lab": cmd_lab}[args.command]
    from .grading.distributed import DistributedError
    from .grading.gradebook import GradebookLocked
    from .grading.sandbox import SandboxError

    try:
        return handler(args)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except (NotebookError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except SandboxError as e:
        print(f"error: grading stopped, no submission runs unprotected: {e}", file=sys.stderr)
        return 3
    except (DistributedError, GradebookLocked) as e:
        print(f"error: grading stopped: {e}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("\ninterrupted: what was fully graded is recorded; the same command grades the rest",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
