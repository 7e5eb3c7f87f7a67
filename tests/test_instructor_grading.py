"""`python -m course grade|report` for real on a small class of 01_setup (in a copy of the course):
exit 0 when every submission was graded by the course's grader; `report` flags a submission graded
by plain `nbgrader autograde` (the demo's copycat) and exits 1; a stub is named in the lost points."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import course.__main__ as cli
from course import demo
from tests.conftest import copy_course

pytestmark = pytest.mark.slow
MODULE = "01_setup"


def test_grade_then_plain_nbgrader_then_report(tmp_path, monkeypatch, capsys):
    "From a fresh clone (no gradebook): `grade` runs generate_assignment itself."
    root = copy_course(tmp_path)
    assert not (root / "gradebook.db").exists()
    demo.make_submissions(root, [MODULE])
    for folder in (root / "submitted").iterdir():
        if folder.name not in ("copycat", "untouched"):
            shutil.rmtree(folder)
    monkeypatch.setattr(cli, "ROOT", root)

    assert cli.main(["grade", "--module", MODULE]) == 0
    out = capsys.readouterr().out
    assert f"the gradebook has no {MODULE} yet: running nbgrader generate_assignment" in out
    assert "untouched · 01_setup · -3 (dot_loop_basic, dot_loop_edge_cases): NotImplementedError: dot_loop() is still a stub" in out

    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    subprocess.run([str(bin_dir / "nbgrader"), "autograde", MODULE, "--student", "copycat", "--force"],
                   cwd=root, env=env, check=True, capture_output=True)
    assert cli.main(["report", "--module", MODULE]) == 1
    out, err = capsys.readouterr()
    copycat = next(line for line in out.splitlines() if line.startswith("copycat "))
    assert "(plain nbgrader)" in copycat
    assert "copycat · 01_setup · graded by plain `nbgrader autograde`, not by `python -m course grade`" in out
    assert "1 submission(s) not graded by the course's grader" in err
    assert "(plain nbgrader)" not in next(line for line in out.splitlines() if line.startswith("untouched "))
