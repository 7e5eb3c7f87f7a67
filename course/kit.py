"""The student kit: what a student installs, and nothing more.

    python -m course kit [--out DIR]   → DIR/tinytorch-kit/ (the kit's files) and
                                         DIR/tinytorch_kit-VERSION-py3-none-any.whl

The kit is the `tito` package (kit/tito/ of this repository) with, inside it:
* `material/release/NN_name/NN_name.ipynb`: the release notebooks (solutions stubbed, hidden tests
  removed), `material/checkpoints/NN_name.py`: each module's checkpoint (nbs/NN_name.checkpoint.py),
  `material/data/`: the data files the course ships;
* `_course/`: the files of this repository's course tooling that export a student's own library
  (notebooks.py, library.py, student.py), which import only each other.
No reference library, no source notebooks, no hidden tests, no grading code: `secret_lines` lists
what must never appear, and tests/test_kit.py scans the built kit for it.

The wheel is written directly (a zip with the wheel's metadata files), so building it needs no
build backend and no network; `pip install tinytorch_kit-….whl` installs `tito` as a console script
and the course's toolchain as dependencies."""
from __future__ import annotations

import base64
import hashlib
import shutil
import zipfile
from pathlib import Path

from .library import DATA, VERSION
from .notebooks import hidden_lines, module_notebooks, public_lines, read_notebook, solution_lines

NAME = "tinytorch-kit"
MATERIAL = "material"  # the folder of the tito package holding the course material
#: Files of course/ the kit needs to export a student's library (they import only each other).
TOOLING = ("notebooks.py", "library.py", "student.py")
#: requirements.txt entries the kit does not need (the repository's own tests).
NOT_FOR_STUDENTS = ("pytest", "playwright", "hypothesis")
CHECKPOINT_SUFFIX = ".checkpoint.py"


def checkpoint_file(notebook: Path) -> Path:
    "The checkpoint declared next to a module notebook: nbs/NN_name.checkpoint.py."
    return notebook.with_name(notebook.stem + CHECKPOINT_SUFFIX)


def requirements(root: Path) -> list[str]:
    "The kit's dependencies: the pinned course toolchain without the repository's test tools."
    lines = [line.split("#")[0].strip() for line in (root / "requirements.txt").read_text().splitlines()]
    return [line for line in lines if line and not line.lower().startswith(NOT_FOR_STUDENTS)]


def assemble(root: Path, dest: Path) -> list[str]:
    """Write the kit's package tree into `dest` (created afresh): `dest/tito/...` and README.md.
    Returns the modules it holds."""
    if dest.exists():
        shutil.rmtree(dest)
    package = dest / "tito"
    shutil.copytree(root / "kit" / "tito", package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    tooling = package / "_course"
    tooling.mkdir()
    (tooling / "__init__.py").write_text('"""The course tooling a student needs: exporting their own library '
                                         '(copied from the course repository by `python -m course kit`)."""\n')
    for name in TOOLING:
        shutil.copy2(root / "course" / name, tooling / name)
    modules = []
    for notebook in module_notebooks(root / "nbs"):
        name = notebook.stem
        release = root / "release" / name / f"{name}.ipynb"
        if not release.exists():
            raise FileNotFoundError(f"{release} is missing: run `python -m course build` first")
        (package / MATERIAL / "release" / name).mkdir(parents=True)
        shutil.copy2(release, package / MATERIAL / "release" / name / release.name)
        checkpoint = checkpoint_file(notebook)
        if not checkpoint.exists():
            raise FileNotFoundError(f"{checkpoint} is missing: every module declares its checkpoint there "
                                    "(see docs/AUTHORING.md, 'Checkpoints')")
        (package / MATERIAL / "checkpoints").mkdir(exist_ok=True)
        shutil.copy2(checkpoint, package / MATERIAL / "checkpoints" / f"{name}.py")
        modules.append(name)
    if (root / DATA).is_dir():
        shutil.copytree(root / DATA, package / MATERIAL / DATA)
    shutil.copy2(root / "kit" / "README.md", dest / "README.md")
    return modules


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def write_wheel(tree: Path, out_dir: Path, dependencies: list[str]) -> Path:
    "A py3-none-any wheel of the package folders in `tree`, with `tito` as a console script."
    dist = f"{NAME.replace('-', '_')}-{VERSION}"
    info = f"{dist}.dist-info"
    metadata = "\n".join(["Metadata-Version: 2.1", f"Name: {NAME}", f"Version: {VERSION}",
                          "Summary: The tinytorch course for students: notebooks, checkpoints and the tito CLI",
                          "Requires-Python: >=3.11", *(f"Requires-Dist: {d}" for d in dependencies), ""])
    extra = {f"{info}/METADATA": metadata,
             f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: course.kit\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
             f"{info}/entry_points.txt": "[console_scripts]\ntito = tito.cli:main\n",
             f"{info}/top_level.txt": "tito\n"}
    wheel = Path(out_dir) / f"{dist}-py3-none-any.whl"
    records = []
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in (tree / "tito").rglob("*") if p.is_file()):
            name = path.relative_to(tree).as_posix()
            data = path.read_bytes()
            archive.writestr(name, data)
            records.append(f"{name},{_record_hash(data)},{len(data)}")
        for name, text in extra.items():
            archive.writestr(name, text)
            records.append(f"{name},{_record_hash(text.encode())},{len(text.encode())}")
        records.append(f"{info}/RECORD,,")
        archive.writestr(f"{info}/RECORD", "\n".join(records) + "\n")
    return wheel


def build_kit(root: Path, out_dir: Path) -> tuple[Path, Path, list[str]]:
    "The kit's folder and wheel in `out_dir`, and the modules it holds."
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tree = out_dir / NAME
    modules = assemble(root, tree)
    for old in out_dir.glob(f"{NAME.replace('-', '_')}-*.whl"):
        old.unlink()
    return tree, write_wheel(tree, out_dir, requirements(root)), modules


def secret_lines(root: Path) -> set[str]:
    """Every line of solution code and hidden tests in nbs/ (stripped; without lines under 20
    characters such as `return x`, and without lines that given code or visible tests also
    have): none may appear in the kit."""
    secret: set[str] = set()
    public: set[str] = set()  # a line that is also given code or a visible test is no secret
    for notebook in module_notebooks(root / "nbs"):
        for cell in read_notebook(notebook).cells:
            if cell.cell_type == "code":
                secret.update(solution_lines(cell.source) + hidden_lines(cell.source))
                public.update(public_lines(cell.source))
    return {line for line in secret - public if len(line) >= 20 and not line.startswith("#")}
