"""Building the course from nbs/: the library, source/ (instructor) and release/ (student).

    nbs/NN_name.ipynb ──export──▶ tinytorch/name.py (or the files of a package, tinytorch/name/*.py)
                      ──source──▶ source/NN_name/NN_name.ipynb   (nbgrader cell metadata, no outputs)
                      ──nbgrader generate_assignment──▶ release/NN_name/NN_name.ipynb
"""
from __future__ import annotations

import filecmp
import re
import shutil
import tempfile
from pathlib import Path

import nbformat

from .library import DATA, PACKAGE, export_notebooks, notebook_export
from .notebooks import CellRole, cell_roles, module_notebooks, read_notebook

#: Folders the build writes and CI compares against a fresh build.
GENERATED = (PACKAGE, "source", "release")

_KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def nbgrader_metadata(role: CellRole, cell_id: str) -> dict:
    "nbgrader's cell metadata (schema 3) for a code cell of the given role."
    if role.kind == "solution":
        flags = dict(grade=False, solution=True, locked=False, grade_id=role.grade_id)
    elif role.kind == "test":
        flags = dict(grade=True, solution=False, locked=True, grade_id=role.grade_id,
                     points=role.points)
    else:  # given code, demonstrations, widgets: read-only, restored when grading
        flags = dict(grade=False, solution=False, locked=True,
                     grade_id="readonly_" + re.sub(r"\W", "_", cell_id))
    return {**flags, "schema_version": 3}


def source_notebook(path: Path) -> nbformat.NotebookNode:
    "The instructor (nbgrader source) version of a module notebook: checked, clean, annotated."
    nb = read_notebook(path)
    roles = cell_roles(nb, path)
    for index, (cell, role) in enumerate(zip(nb.cells, roles)):
        hidden = cell.metadata.get("jupyter", {}).get("source_hidden")  # a collapsed helper cell stays collapsed
        cell.metadata = {"jupyter": {"source_hidden": True}} if hidden else {}
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata["nbgrader"] = nbgrader_metadata(role, cell.get("id") or f"cell{index}")
    nb.metadata = {"kernelspec": dict(_KERNELSPEC), "language_info": {"name": "python"}}
    return nb


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def build_source(root: Path, notebooks: list[Path]) -> list[str]:
    "Write source/NN_name/NN_name.ipynb for each notebook; return the assignment names."
    names = []
    for path in notebooks:
        nb = source_notebook(path)
        write_notebook(nb, root / "source" / path.stem / path.name)
        names.append(path.stem)
    return names


def nbgrader_api(root: Path, db_url: str | None = None):
    "An nbgrader API object for the course at `root`, configured by its nbgrader_config.py."
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    from .grading.gradebook import gradebook_url

    config_file = Path(__file__).resolve().parent.parent / "nbgrader_config.py"
    config = PyFileConfigLoader(str(config_file)).load_config() if config_file.exists() else Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = gradebook_url(root, db_url)
    return NbGraderAPI(config=config)


def generate_assignments(root: Path, assignments: list[str], db_url: str | None = None) -> None:
    """Run nbgrader generate_assignment for each assignment (source/ → release/, and the assignment
    in the gradebook at `db_url`, default gradebook.db); raise RuntimeError with nbgrader's own
    error, in one line, if one fails."""
    from .grading.autograde import error_summary

    api = nbgrader_api(root, db_url)
    for name in assignments:
        result = api.generate_assignment(name, force=True)
        if not result["success"]:
            log = result["log"] + result.get("error", "")
            raise RuntimeError(f"nbgrader generate_assignment {name} failed: {error_summary(log) or log[-500:]}")


def build(root: Path, db_url: str | None = None) -> list[str]:
    """The whole build for the course at `root`: export, source, release. Returns the modules.

    Nothing is written unless every notebook passes its checks."""
    notebooks = module_notebooks(root / "nbs")
    for path in notebooks:  # check all before writing anything
        nb = read_notebook(path)
        cell_roles(nb, path)
        notebook_export(nb, path)  # its export targets
    export_notebooks(notebooks, root / PACKAGE, root / DATA)
    for folder in ("source", "release"):
        shutil.rmtree(root / folder, ignore_errors=True)
    names = build_source(root, notebooks)
    generate_assignments(root, names, db_url)
    return names


def stale_files(root: Path) -> list[str]:
    """Generated files that differ from a fresh build (missing, extra or changed).

    The fresh build runs in a temporary copy of nbs/ so relative paths in the library match."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        shutil.copytree(root / "nbs", fresh / "nbs")
        shutil.copy2(root / "settings.ini", fresh / "settings.ini")
        if (root / DATA).is_dir():
            shutil.copytree(root / DATA, fresh / DATA)
        build(fresh, db_url=f"sqlite:///{fresh / 'gradebook.db'}")
        return sorted(diff for folder in GENERATED
                      for diff in _tree_differences(root / folder, fresh / folder, folder))


def _tree_differences(committed: Path, fresh: Path, label: str) -> list[str]:
    def files(top: Path) -> set[str]:
        if not top.exists():
            return set()
        return {str(p.relative_to(top)) for p in top.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts}

    ours, theirs = files(committed), files(fresh)
    out = [f"{label}/{f}: missing (the build makes it)" for f in sorted(theirs - ours)]
    out += [f"{label}/{f}: not made by the build" for f in sorted(ours - theirs)]
    out += [f"{label}/{f}: differs from a fresh build" for f in sorted(ours & theirs)
            if not filecmp.cmp(committed / f, fresh / f, shallow=False)]
    return out
