"""What the instructor asked to grade, checked before anything is graded.

`python -m course grade|report` calls these first, so a typo or an empty submitted/ folder gives one
clear message (and exit code 2, a usage error) instead of a traceback or a page of nbgrader errors.

Exit codes of `grade` and `report` (README, instructors):
    0  every submission asked for was graded
    1  some submission failed (or was misnamed, or was graded by another tool), or nothing was graded
    2  usage error: an unknown module or a student who submitted nothing
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from .notebooks import module_notebooks

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    "The command asks for something that does not exist; the message says what exists instead."
    exit_code = EXIT_USAGE


class NothingToGrade(UsageError):
    "Nothing was submitted (for the selection): one message, exit code 1 (nothing graded)."
    exit_code = EXIT_FAILED


def _did_you_mean(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
    return f"did you mean {' or '.join(close)}? " if close else ""


def course_modules(root: Path) -> list[str]:
    "The course's modules (NN_name), in course order, from nbs/."
    return [p.stem for p in module_notebooks(root / "nbs")]


def resolve_module(name: str, modules: list[str]) -> str:
    "`name` as a module of the course: the full name, or its number ('2', '02') or its name ('tensor')."
    if name in modules:
        return name
    def named(module: str) -> bool:
        number, short = module.split("_", 1)
        return short == name or name.isdigit() and int(number) == int(name)

    matches = [m for m in modules if named(m)]
    if len(matches) == 1:
        return matches[0]
    raise UsageError(f"no module '{name}' in this course: {_did_you_mean(name, modules)}"
                     f"the modules are {', '.join(modules)}")


def check_modules(root: Path, requested: list[str] | None) -> list[str]:
    "The modules to grade: all of them, or the requested ones, each checked (UsageError if unknown)."
    modules = course_modules(root)
    if not modules:
        raise UsageError(f"no module notebooks (nbs/NN_name.ipynb) in {root / 'nbs'}")
    return [resolve_module(name, modules) for name in requested] if requested else modules


@dataclass(frozen=True)
class Misnamed:
    "A notebook in a student's module folder under another name than the one nbgrader grades."
    student: str
    module: str
    path: Path

    def message(self, root: Path) -> str:
        where = self.path.relative_to(root)
        return (f"{self.student} · {self.module} · {where} is misnamed and was not graded: move it to "
                f"submitted/{self.student}/{self.module}/{self.module}.ipynb, then grade again")


def submitters(root: Path) -> list[str]:
    "Every student with a folder in submitted/."
    folder = root / "submitted"
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")) if folder.is_dir() else []


def misnamed_notebooks(root: Path, modules: list[str], students: list[str]) -> list[Misnamed]:
    """Notebooks of a module that nbgrader would not find: in the module's folder under another name
    (`02_tensor (1).ipynb` from a browser download, `02_Tensor.ipynb`, ...), or left in the
    student's folder instead of the module's (`submitted/alice/02_tensor.ipynb`)."""
    found = []
    for student in students:
        for module in modules:
            folder = root / "submitted" / student / module
            if (folder / f"{module}.ipynb").exists():
                continue
            loose = [p for p in (root / "submitted" / student).glob(f"{module}*.ipynb")]  # not in its folder
            found += [Misnamed(student, module, p) for p in sorted(folder.glob("*.ipynb")) + sorted(loose)]
    return found


def check_students(root: Path, modules: list[str], requested: list[str] | None) -> list[str]:
    """The students to grade: the requested ones (UsageError for a name nobody submitted under)
    or everyone in submitted/ (UsageError if nobody submitted anything)."""
    everyone = submitters(root)
    if not everyone:
        raise NothingToGrade(f"nothing to grade: {root / 'submitted'} holds no submissions; put each in "
                         f"submitted/<student>/<module>/<module>.ipynb (e.g. with `nbgrader collect`)")
    if not requested:
        return everyone
    for name in requested:
        if name not in everyone:
            raise UsageError(f"nobody named '{name}' submitted anything (no folder submitted/{name}): "
                             f"{_did_you_mean(name, everyone)}the students who submitted are {', '.join(everyone)}")
    return requested


def submissions(root: Path, modules: list[str], students: list[str]) -> list[tuple[str, str]]:
    "The (module, student) pairs with a notebook to grade, in that order."
    return [(m, s) for m in modules for s in students if (root / "submitted" / s / m / f"{m}.ipynb").exists()]


def nothing_to_grade(root: Path, modules: list[str], students: list[str]) -> str:
    "The one message for a selection with no submission in it."
    return (f"nothing to grade: no submission of {', '.join(modules)} by {', '.join(students)} "
            f"(expected submitted/<student>/<module>/<module>.ipynb)")
