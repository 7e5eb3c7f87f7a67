"""The course material inside the kit: release notebooks, checkpoints and data, in course order.

Layout (written by `python -m course kit`): `tito/material/release/NN_name/NN_name.ipynb`,
`tito/material/checkpoints/NN_name.py`, `tito/material/data/`."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

COURSE = Path(__file__).resolve().parent / "material"
DATA = COURSE / "data"
_NAME = re.compile(r"^\d\d_[a-z0-9_]+$")


@dataclass(frozen=True)
class Module:
    "One module of the course: its name (`07_autograd`), release notebook and checkpoint file."
    name: str

    @property
    def number(self) -> str:
        return self.name[:2]

    @property
    def release(self) -> Path:
        return COURSE / "release" / self.name / f"{self.name}.ipynb"

    @property
    def checkpoint(self) -> Path | None:
        path = COURSE / "checkpoints" / f"{self.name}.py"
        return path if path.exists() else None

    def declared(self, variable: str) -> str:
        "A string the checkpoint file declares (CAPABILITY, LIMIT); '' without a checkpoint."
        if self.checkpoint is None:
            return ""
        for node in ast.parse(self.checkpoint.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == variable for t in node.targets):
                return ast.literal_eval(node.value)
        return ""


def modules() -> list[Module]:
    "The modules the kit holds, in course order (their number)."
    folder = COURSE / "release"
    return sorted((Module(p.name) for p in folder.iterdir() if _NAME.match(p.name)), key=lambda m: m.name)


def find_module(text: str) -> Module:
    "The module named by `text`: its number (`7`, `07`) or its name (`07_autograd`)."
    known = modules()
    for module in known:
        if text in (module.name, module.number) or (text.isdigit() and int(text) == int(module.number)):
            return module
    raise LookupError(f"no module '{text}' in this course; there are: {', '.join(m.name for m in known)}")
