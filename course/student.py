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

from . import ROOT
from .library import DATA, PACKAGE, export_notebooks, module_path

_STUB = re.compile(r"raise NotImplementedError\(\)")


def student_notebooks(folder: Path) -> list[Path]:
    "The module notebooks in a student's folder (NN_name/NN_name.ipynb), in course order."
    return sorted(p for p in Path(folder).glob("[0-9][0-9]_*/*.ipynb")
                  if p.stem == p.parent.name)


def build(folder: Path) -> dict[str, int]:
    """Export the student's notebooks to folder/tinytorch; return, per exported file (dotted, e.g.
    `tensor` or `benchmarking.timing`), the number of stubs still to write there."""
    notebooks = student_notebooks(folder)
    if not notebooks:
        raise FileNotFoundError(f"no module notebooks (NN_name/NN_name.ipynb) in {folder}")
    exports = export_notebooks(notebooks, Path(folder) / PACKAGE, ROOT / DATA, strict=False)
    return {file: len(_STUB.findall(module_path(Path(folder) / PACKAGE, file).read_text(encoding="utf-8")))
            for export in exports for file in export.files}


def lab_command(folder: Path) -> tuple[list[str], dict[str, str]]:
    "The command and environment that start JupyterLab on `folder`, its library first on the path."
    folder = Path(folder).resolve()
    jupyter = str(Path(sys.executable).parent / "jupyter")
    return [jupyter, "lab", f"--notebook-dir={folder}"], dict(os.environ, PYTHONPATH=str(folder))


def lab(folder: Path) -> None:
    "Replace this process with JupyterLab on `folder` (see `lab_command`)."
    argv, env = lab_command(folder)
    os.execve(argv[0], argv, env)
