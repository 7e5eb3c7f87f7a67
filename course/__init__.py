"""Course tooling for tinytorch: building the library and the nbgrader course from nbs/,
the demo class, grading, and students' own library builds. Not part of the `tinytorch` package.

Run `python -m course --help`."""
import os
import sys
from pathlib import Path

#: The repository (and nbgrader course) root.
ROOT = Path(__file__).resolve().parent.parent

# nbgrader and Jupyter start helper programs (alembic, kernels) by name: make sure the ones
# installed next to this interpreter are found even when its virtualenv is not activated.
_bin = str(Path(sys.executable).parent)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")
