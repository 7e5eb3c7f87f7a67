"""Every source notebook runs top to bottom with all its tests passing (hidden ones included),
against the library a grader gives it: only the reference modules before it."""
from __future__ import annotations


import pytest
from nbclient import NotebookClient

from course import ROOT
from course.grading.autograde import grading_library
from course.notebooks import module_notebooks, read_notebook

MODULES = [p.stem for p in module_notebooks(ROOT / "nbs")]
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("module", MODULES)
def test_source_notebook_passes_all_its_tests(module, tmp_path, monkeypatch):
    library = grading_library(ROOT, module)
    monkeypatch.setenv("PYTHONPATH", str(library))
    nb = read_notebook(ROOT / "source" / module / f"{module}.ipynb")
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [(i, o.ename, o.evalue) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{module}: cells raised {errors}"
