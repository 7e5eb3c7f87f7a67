"""A notebook that breaks an authoring rule stops the build with a message naming the notebook
and the cell (docs/AUTHORING.md)."""
from __future__ import annotations

import pytest

from course.build import build
from course.notebooks import NotebookError, cell_role, cell_roles, read_notebook
from tests.conftest import GOOD_CELLS, write_module


def roles_of(tmp_path, *cells):
    path = write_module(tmp_path / "nbs" / "01_x.ipynb", *cells)
    return cell_roles(read_notebook(path), path)


def test_good_notebook_roles(tmp_path):
    roles = roles_of(tmp_path, *GOOD_CELLS)
    assert roles[0] is None  # markdown
    assert [r.kind for r in roles[1:]] == ["code", "code", "solution", "test", "test"]
    assert roles[3].exported and roles[3].grade_id == "double"
    assert (roles[4].group, roles[4].points) == ("visible", 1)
    assert (roles[5].group, roles[5].points) == ("hidden", 2)


def test_perf_test_group():
    role = cell_role("#| test speed points=2 perf\n### BEGIN HIDDEN TESTS\npass\n### END HIDDEN TESTS")
    assert (role.group, role.points, role.perf) == ("performance", 2, True)


BAD = {
    "duplicate ID": (GOOD_CELLS + ("#| test double_small points=1\nassert True",),
                     r"01_x.ipynb, cell 6: duplicate ID 'double_small' \(first used in cell 4\)"),
    "test without ID": (GOOD_CELLS[:1] + ("#| test\nassert True",), r"cell 2: '#\| test' needs an ID"),
    "solution without ID": (GOOD_CELLS[:1] + ("#| solution\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION",),
                            r"cell 2: '#\| solution' takes exactly one ID"),
    "test without points": (GOOD_CELLS[:1] + ("#| test t1\nassert True",), r"cell 2: test 't1' needs positive points"),
    "unbalanced solution": (GOOD_CELLS[:1] + ("#| solution s\n### BEGIN SOLUTION\nx = 1",),
                            r"cell 2: '### BEGIN SOLUTION' has no matching '### END SOLUTION'"),
    "nested solution": (GOOD_CELLS[:1] + ("#| solution s\n### BEGIN SOLUTION\n### BEGIN SOLUTION\n"
                                          "### END SOLUTION\n### END SOLUTION",), r"cell 2: .* unbalanced or nested"),
    "end before begin": (GOOD_CELLS[:1] + ("#| solution s\n### END SOLUTION\n### BEGIN SOLUTION",),
                         r"cell 2: .* unbalanced or nested"),
    "hidden test in exported cell": (GOOD_CELLS[:1] + ("#| export\n### BEGIN HIDDEN TESTS\nassert True\n"
                                                       "### END HIDDEN TESTS",),
                                     r"cell 2: hidden tests may only appear in a '#\| test' cell "
                                     r"\(this cell is exported to the library\)"),
    "exported test": (GOOD_CELLS[:1] + ("#| export\n#| test t points=1\nassert True",),
                      r"cell 2: a '#\| test' cell cannot be exported"),
    "solution markers without directive": (GOOD_CELLS[:1] + ("#| export\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION",),
                                           r"cell 2: solution markers need a '#\| solution ID' directive"),
    "visible perf test": (GOOD_CELLS[:1] + ("#| test speed points=1 perf\nassert True",),
                          r"cell 2: performance test 'speed' must be hidden"),
    "bad ID": (GOOD_CELLS[:1] + ("#| test Bad-Id points=1\nassert True",), r"cell 2: ID 'Bad-Id' must be lower_snake_case"),
    "no default_exp": (("#| export\nx = 1",), r"01_x.ipynb: no '#\| default_exp NAME' directive"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_notebook_is_refused_with_its_location(tmp_path, case):
    cells, message = BAD[case]
    with pytest.raises(NotebookError, match=message):
        roles_of(tmp_path, *cells)


def test_markers_in_markdown_are_refused(tmp_path):
    path = write_module(tmp_path / "nbs" / "01_x.ipynb", *GOOD_CELLS, markdown="### BEGIN SOLUTION")
    with pytest.raises(NotebookError, match=r"01_x.ipynb, cell 0: grading markers are only allowed in code cells"):
        cell_roles(read_notebook(path), path)


def test_invalid_json_names_the_notebook(tmp_path):
    path = tmp_path / "nbs" / "01_x.ipynb"
    path.parent.mkdir()
    path.write_text('{"cells": [')
    with pytest.raises(NotebookError, match=r"01_x.ipynb: not valid notebook JSON"):
        read_notebook(path)


def test_build_writes_nothing_when_a_notebook_is_bad(scratch_course):
    write_module(scratch_course / "nbs" / "02_bad.ipynb", "#| default_exp bad", "#| test t points=1\n"
                 "### BEGIN HIDDEN TESTS\nassert True")
    with pytest.raises(NotebookError, match=r"02_bad.ipynb, cell 2: '### BEGIN HIDDEN TESTS' has no matching"):
        build(scratch_course)
    assert not (scratch_course / "tinytorch").exists()
    assert not (scratch_course / "source").exists()


def test_cli_reports_bad_notebook_without_traceback(scratch_course, monkeypatch, capsys):
    import course.__main__ as cli

    write_module(scratch_course / "nbs" / "02_bad.ipynb", "#| default_exp bad", "#| solution s\nx = 1")
    monkeypatch.setattr(cli, "ROOT", scratch_course)
    assert cli.main(["build"]) == 2
    assert "02_bad.ipynb, cell 2: '#| solution s' has no '### BEGIN SOLUTION'" in capsys.readouterr().err
