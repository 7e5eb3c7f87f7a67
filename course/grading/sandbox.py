"""The sandbox one submission runs in: bubblewrap (Debian package `bubblewrap`).

Per submission, `bwrap` starts course/grading/harness.py in new user, PID, network, IPC, UTS and
mount namespaces, as an unprivileged user without capabilities, seeing only:
* the Python installation and the venv, read-only (plus /usr and the system libraries);
* the reference library of the modules before N, read-only, at /grader/lib;
* the student's submitted folder, read-only, copied by the harness to a size-capped tmpfs
  (its working folder and $HOME); /tmp is a private tmpfs too.
Not the course folder (source/, nbs/, the gradebook, other students), not the grader's home,
no network. Processes are capped by a pids cgroup where the machine offers one, memory, file
size and CPU time by rlimits set in the harness; when the session ends, the PID namespace's
init dies and the kernel kills every process the notebook started.

Fail closed: `Session` raises SandboxError when bwrap is missing or the harness's self-check
(run inside, before any student code) finds the sandbox unsound; grading then stops.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

HARNESS = Path(__file__).with_name("harness.py")
PIDS_CGROUP = Path("/sys/fs/cgroup/pids")
INSTALL_HINT = "install it with `bash scripts/install_sandbox.sh` (Debian package bubblewrap)"


# The harness is imported under its own name, not run as __main__ (IPython takes __main__ over
# for the notebook's namespace, and the harness's own functions must stay out of it).
_LAUNCH = ("import importlib.util, sys; spec = importlib.util.spec_from_file_location('grader_harness', "
           "'/grader/harness.py'); harness = importlib.util.module_from_spec(spec); "
           "sys.modules['grader_harness'] = harness; spec.loader.exec_module(harness); del spec; "
           "harness.main()")


#: Every grading process computes with one BLAS thread: N submissions at a time on N cores then
#: measure what one does alone, and serial and parallel runs grade alike.
ONE_BLAS_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


class SandboxError(RuntimeError):
    "The sandbox cannot be set up: grading must stop rather than run a submission unprotected."


class ChannelError(RuntimeError):
    "The harness stopped answering, or answered out of turn (the submission was stopped)."


@dataclass(frozen=True)
class Limits:
    "What one submission may use."
    cell_seconds: float = 30
    submission_seconds: float = 600
    memory_mb: int = 4096
    file_mb: int = 64
    scratch_mb: int = 256
    output_bytes: int = 64 * 1024
    processes: int = 64


def bwrap() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxError(f"bubblewrap (bwrap) is not installed, so submissions cannot be isolated: {INSTALL_HINT}")
    return path


def _system_binds() -> list[str]:
    "Read-only /usr and the system library folders (or their symlinks into /usr)."
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib64", "/lib32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for conf in ("/etc/ld.so.cache", "/etc/localtime", "/etc/alternatives"):
        if os.path.exists(conf):
            args += ["--ro-bind", conf, conf]
    return args


def _python_binds() -> list[str]:
    "The Python installation and the venv, read-only at their own paths."
    tops = sorted({os.path.realpath(p) for p in (sys.base_prefix, sys.prefix)})
    args = []
    for top in tops:
        args += ["--ro-bind", top, top]
    return args


def forbidden_paths(course: Path) -> list[str]:
    "Paths the self-check must not see from inside: instructor material, students, the home folder."
    paths = [course / name for name in ("source", "nbs", "gradebook.db", "submitted", "autograded",
                                         "feedback", "tinytorch", "course", "nbgrader_config.py")]
    home = Path.home()
    python = {Path(os.path.realpath(p)) for p in (sys.base_prefix, sys.prefix)}
    if home.is_dir():
        paths += [p for p in sorted(home.iterdir())[:50] if not any(p == q or p in q.parents for q in python)]
    return [str(p) for p in paths]


def command(library: Path, submission: Path, limits: Limits) -> list[str]:
    "The bwrap command line that runs the harness for one submission."
    return [bwrap(), "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534",
            "--cap-drop", "ALL", "--die-with-parent", "--new-session", "--disable-userns",
            *_system_binds(), *_python_binds(),
            "--ro-bind", str(library), "/grader/lib",
            "--ro-bind", str(HARNESS), "/grader/harness.py",
            "--ro-bind", str(submission), "/grader/submission",
            "--size", str(limits.scratch_mb * 2**20), "--tmpfs", "/home/student",
            "--size", str(limits.scratch_mb * 2**20), "--tmpfs", "/tmp",
            "--proc", "/proc", "--dev", "/dev", "--remount-ro", "/", "--chdir", "/home/student",
            sys.executable, "-B", "-c", _LAUNCH]


def environment() -> dict[str, str]:
    "The whole environment the harness starts with (nothing inherited from the grader)."
    return {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": "/home/student",
            "PYTHONPATH": "/grader/lib", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
            "MPLBACKEND": "Agg", "TMPDIR": "/tmp", "LANG": "C.UTF-8", **ONE_BLAS_THREAD}


class _Cgroup:
    "A pids cgroup (v1) capping the sandbox's processes, when the machine offers one."

    def __init__(self, limit: int):
        self.path = None
        if os.access(PIDS_CGROUP, os.W_OK):
            path = PIDS_CGROUP / f"tinytorch-{uuid.uuid4().hex[:12]}"
            try:
                path.mkdir()
                (path / "pids.max").write_text(str(limit))
                self.path = path
            except OSError:
                pass

    def enter(self) -> None:
        "Called in the child before exec: move it (and so the whole sandbox) into the cgroup."
        if self.path is not None:
            (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def remove(self) -> None:
        if self.path is None:
            return
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.02)


@dataclass
class Answer:
    "The harness's answer for one cell."
    outputs: list[dict]
    passed: bool = False  # a signed verdict that the test cell ran to its end
    untrusted: list[str] = field(default_factory=list)  # since the start: no later verdict counts
    restored: list[str] = field(default_factory=list)  # put back before this cell ran
    refused: list[str] = field(default_factory=list)  # why this cell's verdict was refused


class Session:
    """One submission's sandbox: start it, run its cells one by one, close it (killing everything)."""

    def __init__(self, course: Path, library: Path, submission: Path, log: Path, limits: Limits = Limits()):
        self.limits = limits
        self.key = secrets.token_bytes(32)
        self.untrusted: list[str] = []
        self.deadline = time.monotonic() + limits.submission_seconds
        read_end, self._result_write = os.pipe()
        self._results = os.fdopen(read_end, "rb", buffering=0)
        self._buffer = b""
        self._cgroup = _Cgroup(limits.processes)
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log.open("ab")
        try:
            self.process = subprocess.Popen(
                command(library, submission, limits), stdin=subprocess.PIPE, stdout=self.log,
                stderr=self.log, env=environment(), pass_fds=(self._result_write,),
                preexec_fn=self._cgroup.enter, close_fds=True)
        except OSError as e:
            self._cgroup.remove()
            raise SandboxError(f"the sandbox could not be started ({e}): {INSTALL_HINT}") from e
        os.close(self._result_write)
        setup = {"forbidden": forbidden_paths(course), "result_fd": self._result_write,
                 "memory_mb": limits.memory_mb, "file_mb": limits.file_mb,
                 "cpu_seconds": int(limits.submission_seconds), "processes": limits.processes,
                 "output_bytes": limits.output_bytes, "timeout": limits.cell_seconds,
                 "workdir": "/home/student", "capture": "/tmp", "submission": "/grader/submission"}
        self.process.stdin.write(self.key.hex().encode() + json.dumps({"setup": setup}).encode() + b"\n")
        self.process.stdin.flush()
        try:
            ready = self._next(60)
        except ChannelError as e:
            self.close()
            raise SandboxError(f"the sandbox did not start: {e} (see {self.log.name})") from e
        if not ready.get("ready"):
            self.close()
            raise SandboxError("the sandbox's self-check failed, so no submission is graded: "
                               + "; ".join(ready.get("problems", ["no answer"])))

    def _line(self, seconds: float) -> bytes:
        "The next line from the result pipe, waiting at most `seconds`."
        import select

        end = min(time.monotonic() + seconds, self.deadline)
        while b"\n" not in self._buffer:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self._results], [], [], left)[0]:
                raise ChannelError("no answer in time")
            chunk = self._results.read(1 << 16)
            if not chunk:
                raise ChannelError("the notebook's process ended")
            self._buffer += chunk
            if len(self._buffer) > 64 * 2**20:
                raise ChannelError("the notebook flooded the grader's channel")
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def _next(self, seconds: float) -> dict:
        "The next signed message; forged ones are counted as tampering."
        while True:
            line = self._line(seconds)
            signature, _, payload = line.partition(b" ")
            expected = hmac.digest(self.key, payload, "sha256").hex().encode()
            if not hmac.compare_digest(signature, expected):
                self.untrusted.append("a message to the grader was forged")
                continue
            kind, _, text = payload.partition(b" ")
            message = json.loads(text)
            if "untrusted" in message:
                self.untrusted.append(str(message["untrusted"]))
                continue
            if kind != b"V":  # only the audit hook itself gives verdicts and reports tampering
                for name in ("passed", "restored", "refused"):
                    message.pop(name, None)
            return message

    def run(self, index: int, kind: str, source: str) -> Answer:
        "Run one code cell ('student', 'instructor' or 'test'); raises ChannelError if the harness is gone."
        request = {"cell": index, "kind": kind, "source": source}
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
        except OSError as e:
            raise ChannelError("the notebook's process ended") from e
        wanted = hashlib.sha256(source.encode()).hexdigest()
        answer = Answer([])
        while True:
            message = self._next(self.limits.cell_seconds + 10)
            if message.get("passed") == index and message.get("sha256") == wanted:
                answer.passed = True
            elif "restored" in message:
                answer.restored += map(str, message["restored"])
            elif "refused" in message:
                answer.refused += map(str, message["refused"])
            elif message.get("done") == index:
                answer.outputs = message.get("outputs", [])
                answer.untrusted = list(self.untrusted)
                return answer

    def close(self) -> None:
        "End the sandbox: killing bwrap ends its PID namespace, and with it every process in it."
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self._results):
            try:
                stream.close()
            except OSError:
                pass
        self._cgroup.remove()
        self.log.close()
