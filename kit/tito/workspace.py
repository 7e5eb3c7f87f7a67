"""The student's work folder: their notebooks (`NN_name/NN_name.ipynb`, the layout instructors
collect), their library (`tinytorch/`), and what tito recorded (`.tito/`)."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from . import __version__
from ._course.student import build, stubs_left
from .course import DATA, Module, modules

MARKER = ".tito.json"  # in the work folder: the student's id


class WorkspaceError(RuntimeError):
    "The work folder is missing or incomplete; the message says what to do."


class Workspace:
    def __init__(self, folder: Path):
        self.folder = Path(folder).resolve()

    # --- finding and creating -------------------------------------------------------------------
    @classmethod
    def find(cls, start: Path | None = None) -> "Workspace":
        "The work folder holding `start` (default: the current folder), or that of $TITO_HOME."
        here = Path(start or os.environ.get("TITO_HOME") or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / MARKER).exists():
                return cls(folder)
        raise WorkspaceError(f"{here} is not in a tinytorch work folder: run `tito init [FOLDER]` first, "
                             "then run tito inside that folder (or pass --dir FOLDER)")

    @classmethod
    def create(cls, folder: Path, student: str | None) -> tuple["Workspace", list[str]]:
        "Copy the release notebooks into `folder`; notebooks already there are kept. Returns the copied modules."
        work = cls(folder)
        work.folder.mkdir(parents=True, exist_ok=True)
        copied = []
        for module in modules():
            target = work.notebook(module)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(module.release, target)
                copied.append(module.name)
        settings = work.settings()
        if student:
            settings["student"] = student
        (work.folder / MARKER).write_text(json.dumps(settings, indent=1) + "\n")
        return work, copied

    # --- paths and settings -------------------------------------------------------------------------
    def notebook(self, module: Module) -> Path:
        return self.folder / module.name / f"{module.name}.ipynb"

    @property
    def library(self) -> Path:
        return self.folder / "tinytorch"

    def settings(self) -> dict:
        path = self.folder / MARKER
        return json.loads(path.read_text()) if path.exists() else {}

    def require_notebook(self, module: Module) -> Path:
        path = self.notebook(module)
        if not path.exists():
            raise WorkspaceError(f"{path} is missing: `tito init {self.folder}` copies a fresh one "
                                 "(your other notebooks are kept)")
        return path

    # --- the student's library ----------------------------------------------------------------------
    def export(self) -> dict[str, int]:
        "Build the student's own `tinytorch/` from their notebooks; module → stubs left."
        stubs = build(self.folder, DATA)
        self._export_stamp_path.write_text(json.dumps(self._export_stamp()))
        return stubs

    def ensure_library(self) -> bool:
        "Export the library unless it was built from the notebooks as they are now; True if it exported."
        path = self._export_stamp_path
        if (self.library / "__init__.py").exists() and path.exists() and json.loads(path.read_text()) == self._export_stamp():
            return False
        self.export()
        return True

    @property
    def _export_stamp_path(self) -> Path:
        (self.folder / ".tito").mkdir(exist_ok=True)
        return self.folder / ".tito" / "exported.json"

    def _export_stamp(self) -> dict:
        "What the library was built from: each notebook's size and modification time, and tito's version."
        stamp = {"tito": __version__}
        for path in sorted(self.folder.glob("[0-9][0-9]_*/*.ipynb")):
            info = path.stat()
            stamp[str(path.relative_to(self.folder))] = [info.st_size, info.st_mtime_ns]
        return stamp

    def stubs(self, module: Module) -> int | None:
        "Stubs left in the student's notebook (None if it is missing)."
        path = self.notebook(module)
        return stubs_left(path) if path.exists() else None

    # --- what tito recorded -------------------------------------------------------------------------
    @property
    def _state_path(self) -> Path:
        return self.folder / ".tito" / "state.json"

    def state(self) -> dict:
        path = self._state_path
        return json.loads(path.read_text()) if path.exists() else {"tests": {}, "checkpoints": {}}

    def record(self, kind: str, module: Module, result: dict) -> None:
        "Keep a result of `tito test` or `tito checkpoint`, stamped with the notebook it came from."
        state = self.state()
        result = dict(result, notebook_mtime=self.notebook(module).stat().st_mtime)
        state.setdefault(kind, {})[module.name] = result
        self._state_path.parent.mkdir(exist_ok=True)
        self._state_path.write_text(json.dumps(state, indent=1) + "\n")

    def recorded(self, kind: str, module: Module) -> tuple[dict | None, bool]:
        "The last recorded result of `kind` for `module`, and whether the notebook changed since."
        result = self.state().get(kind, {}).get(module.name)
        path = self.notebook(module)
        if result is None or not path.exists():
            return result, False
        return result, path.stat().st_mtime != result.get("notebook_mtime")
