"""Students' own library: built from their completed release notebooks.

    python -m course student build DIR   # DIR holds 01_setup/01_setup.ipynb, 02_tensor/...
    python -m course student lab DIR     # rebuild, then JupyterLab with DIR/tinytorch importable

The library goes to DIR/tinytorch. JupyterLab is started with DIR first on PYTHONPATH, so the
notebooks of later modules import the student's own modules, not the reference."""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from .library import PACKAGE, export_notebooks
from .notebooks import NotebookError, directives, read_notebook

_STUB = re.compile(r"raise NotImplementedError\(\)")


def student_notebooks(folder: Path) -> list[Path]:
    "The module notebooks in a student's folder (NN_name/NN_name.ipynb), in course order."
    return sorted(p for p in Path(folder).glob("[0-9][0-9]_*/*.ipynb")
                  if p.stem == p.parent.name)


def stubs_left(notebook: Path) -> int:
    """The stubs still to replace in a student's notebook: `raise NotImplementedError()` in its
    `#| solution` cells, exported or not (module 01's answers are not library code)."""
    return sum(len(_STUB.findall(cell.source)) for cell in read_notebook(notebook).cells
               if cell.cell_type == "code" and any(words[:1] == ["solution"] for words in directives(cell.source)))


def _library_cell(source: str) -> str | None:
    "The name of a library cell (`#| solution NAME`, `#| export`) or None for any other cell."
    words = directives(source)
    solution = next((w for w in words if w[:1] == ["solution"]), None)
    if solution is not None:
        return f"solution '{solution[1]}'" if len(solution) > 1 else "a solution cell"
    return "an exported cell" if any(w[:1] == ["export"] for w in words) else None


def check_syntax(notebook: Path) -> None:
    """Raise a NotebookError naming the notebook, cell and line of the first solution or exported
    cell that is not valid Python (a 30-line traceback from deep in the export would name neither)."""
    for index, cell in enumerate(read_notebook(notebook).cells):
        what = _library_cell(cell.source) if cell.cell_type == "code" else None
        if what is None:
            continue
        try:
            compile(cell.source, f"{notebook.name}, cell {index}", "exec", dont_inherit=True)
        except SyntaxError as error:
            raise NotebookError(notebook, f"{what} is not valid Python (line {error.lineno} of the cell: "
                                          f"{error.msg}); fix it, then build again", index) from None


def build(folder: Path, data_dir: Path | None = None) -> dict[str, int]:
    """Export the student's notebooks to folder/tinytorch, with the course's data files from
    `data_dir` (the repository's data/, or the kit's); return module → stubs left to write.
    (The student kit ships this file: it imports only its siblings notebooks.py and library.py.)"""
    notebooks = student_notebooks(folder)
    if not notebooks:
        raise FileNotFoundError(f"no module notebooks (NN_name/NN_name.ipynb) in {folder}")
    for notebook in notebooks:
        check_syntax(notebook)
    exports = export_notebooks(notebooks, Path(folder) / PACKAGE, data_dir, strict=False)
    return {export.name: stubs_left(notebook) for export, notebook in zip(exports, notebooks)}


def lab_command(folder: Path, options: list[str] = ()) -> tuple[list[str], dict[str, str]]:
    """The command and environment that start JupyterLab on `folder`, its library first on the path;
    `options` go to JupyterLab (`--allow-root`, `--port 8890`, ...)."""
    folder = Path(folder).resolve()
    jupyter = str(Path(sys.executable).parent / "jupyter")
    return [jupyter, "lab", f"--notebook-dir={folder}", *options], dict(os.environ, PYTHONPATH=str(folder))


def lab(folder: Path, options: list[str] = ()) -> None:
    "Replace this process with JupyterLab on `folder` (see `lab_command`)."
    argv, env = lab_command(folder, options)
    os.execve(argv[0], argv, env)
