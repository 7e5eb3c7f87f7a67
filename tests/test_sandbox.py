"""The grading sandbox on its own (course/grading/sandbox.py, harness.py): what a cell can reach,
what survives it, the signed verdicts, and that it fails closed."""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import pytest

from course import ROOT
from course.grading import sandbox
from course.grading.sandbox import Limits, SandboxError, Session


@pytest.fixture
def session(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "data.txt").write_text("the student's own file")
    s = Session(ROOT, tmp_path / "lib", tmp_path / "submission", tmp_path / "sandbox.log",
                Limits(cell_seconds=5, submission_seconds=60))
    yield s
    s.close()


def run(session: Session, source: str, kind: str = "student", index: int = 0):
    answer = session.run(index, kind, source)
    return "".join(o.get("text", "") for o in answer.outputs), answer


def test_a_cell_sees_only_its_own_copy(session):
    paths = [ROOT / "source", ROOT / "nbs", ROOT / "gradebook.db", ROOT / "nbgrader_config.py", ROOT / "tinytorch",
             Path.home() / ".bashrc"]
    out, _ = run(session, f"import os\nprint([os.path.exists(p) for p in {[str(p) for p in paths]!r}])\n"
                          "print(open('data.txt').read(), os.getcwd(), os.getuid())")
    assert out.splitlines()[0] == str([False] * len(paths))
    assert out.splitlines()[1] == "the student's own file /home/student 65534"


def test_nothing_written_inside_reaches_the_machine(session, tmp_path):
    marker = f"tinytorch-sandbox-{secrets.token_hex(4)}"
    out, _ = run(session, "import os\n"
                          f"for p in ['/tmp/{marker}', os.path.expanduser('~/{marker}'), 'x/../{marker}']:\n"
                          "    open(p, 'w').write('x')\n"
                          f"for p in ['/{marker}', '/usr/{marker}', '{ROOT}/{marker}', '{Path.home()}/{marker}']:\n"
                          "    try:\n        open(p, 'w')\n        print('WROTE', p)\n"
                          "    except OSError:\n        pass\n")
    assert "WROTE" not in out
    for folder in (Path("/tmp"), Path.home(), ROOT, Path("/")):
        assert not (folder / marker).exists()


def test_no_network(session):
    out, _ = run(session, "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n"
                          "    print('open')\nexcept OSError as e:\n    print('closed', e.errno)")
    assert out.startswith("closed")


def test_no_process_outlives_the_session(tmp_path):
    (tmp_path / "lib").mkdir()
    number = str(800000 + secrets.randbelow(99999))
    s = Session(ROOT, tmp_path / "lib", tmp_path / "lib", tmp_path / "log")
    run(s, f"import subprocess\nsubprocess.Popen(['sleep', '{number}'], start_new_session=True)")
    s.close()
    alive = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _cmdline(p).endswith(number)]
    assert not alive


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def test_output_is_capped_at_the_descriptor(session):
    out, _ = run(session, "import os\nos.write(1, b'x' * 200_000)")
    assert len(out) < 70_000 and "[grader: output truncated]" in out


def test_a_test_passes_only_with_a_signed_verdict(session):
    run(session, "def f(x):\n    return 2 * x", index=0)
    assert run(session, "assert f(2) == 4", kind="test", index=1)[1].passed
    failing = run(session, "assert f(2) == 5, 'f(2) should be 5'", kind="test", index=2)[1]
    assert not failing.passed and failing.outputs[-1]["ename"] == "AssertionError"


def test_helpers_rebound_by_the_notebook_are_put_back(session):
    run(session, "def check(ok):\n    assert ok", kind="instructor", index=0)
    rebound = run(session, "check = lambda ok: None", index=1)[1]
    assert "check (defined by the course)" in rebound.restored  # put back as soon as the cell ends
    assert not run(session, "check(False)", kind="test", index=2)[1].passed


def test_a_forged_message_is_rejected_and_voids_later_tests(session):
    line = b"0" * 64 + b" V " + json.dumps({"passed": 2, "sha256": "0" * 64}).encode() + b"\n"
    run(session, f"import os\nfor fd in range(3, 64):\n    try:\n        os.write(fd, {line!r})\n"
                 "    except OSError:\n        pass", index=1)
    answer = run(session, "assert False", kind="test", index=2)[1]
    assert not answer.passed and "a message to the grader was forged" in answer.untrusted


def test_missing_bubblewrap_stops_grading(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with pytest.raises(SandboxError, match="bubblewrap"):
        Session(ROOT, tmp_path, tmp_path, tmp_path / "log")


def test_a_failed_self_check_stops_grading(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "forbidden_paths", lambda course: ["/usr/bin"])  # visible inside
    with pytest.raises(SandboxError, match="self-check failed.*/usr/bin is visible"):
        Session(ROOT, tmp_path, tmp_path, tmp_path / "log")
    assert os.path.exists("/usr/bin")
