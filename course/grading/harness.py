"""Runs one submission inside the grading sandbox: the grader's side of the notebook's process.

Started by course/grading/sandbox.py as `python harness.py` inside bubblewrap. It imports only
the standard library, IPython and NumPy (the `course` package is not in the sandbox). Protocol:

* stdin: first 64 raw bytes, the hex key of this run; then one JSON line per request:
  `{"setup": {...}}` once, then `{"cell": index, "kind": "student"|"instructor"|"test",
  "source": ...}` per code cell, sent only after the previous cell's answer (so hidden tests
  are not in the sandbox before their turn).
* fd 3: one line per message, `<hmac-sha256 hex> <json>`, signed by the audit hook below.

Why an audit hook: student code runs in this same interpreter and may patch anything it can
reach. An audit hook cannot be removed by Python code, sees every attempt to reach interpreter
internals (frames, the garbage collector, ctypes, tracing, memory files), and is the only place
the key lives (in its closure). A graded test cell counts as passed only when the hook sees the
cell's *own* code object reach its last line, run by `_run_instructor` in the notebook's
namespace: the hook then writes a signed `passed` record naming the cell and the SHA-256 of
its source, which the grader checks against what it sent. Student code can neither make a
failing test reach its end nor forge the record without the key.
"""
import builtins
import json
import os
import resource
import shutil
import signal
import socket
import sys
import time

EVENT = "tinytorch.grader."
PASSED_LINE = "\n__tinytorch_grader_sys__.audit('tinytorch.grader.passed')\n"
# Events that give write access to interpreter internals (objects found through the garbage
# collector, raw memory, tracing that can rewrite frames): after one of them, no verdict is
# trusted. Reading frames (sys._getframe, tracebacks) is not among them: in Python 3.11 a frame's
# locals cannot be written without tracing or ctypes, and the verdict needs the test's own frame.
UNTRUSTED_EVENTS = {"gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys.settrace",
                    "sys.setprofile", "sys.addaudithook", "ctypes.dlopen", "ctypes.dlsym",
                    "ctypes.addressof", "ctypes.string_at", "ctypes.wstring_at", "ctypes.cdata",
                    "ctypes.cdata/buffer", "ctypes.call_function", "ctypes.seh_exception",
                    "cpython.PyInterpreterState_Clear"}
# Modules whose attributes tests and performance baselines rely on: restored before each
# instructor cell to what they were before the notebook ran.
TRUSTED_MODULES = ("builtins", "time", "math", "statistics", "random", "functools", "operator",
                   "itertools", "collections", "copy", "json", "os", "signal", "gc",
                   "numpy", "numpy.linalg", "numpy.random", "numpy.fft", "numpy.testing",
                   "numpy.lib.stride_tricks", "tracemalloc", "timeit", "inspect", "traceback",
                   "warnings", "contextlib", "importlib", "resource")
SYS_HOOKS = ("excepthook", "displayhook", "unraisablehook", "breakpointhook", "meta_path",
             "path_hooks", "path", "audit", "addaudithook", "settrace", "setprofile", "_getframe",
             "modules", "exit", "getrecursionlimit", "setrecursionlimit")


class CellTimeoutError(BaseException):
    "A cell ran past its time limit (a BaseException so that `except Exception` cannot swallow it)."


def _install_audit_hook(key: bytes, write, namespace: dict, runner_code, sender_codes) -> None:
    """Install the hook that signs every message and watches for tampering. `write(bytes)` writes
    to the result pipe. Everything the hook calls is bound here, from C: the notebook can patch
    modules and builtins, but not what this closure holds, and the hook never calls Python code
    the notebook could have replaced (which could otherwise look up the key in this frame)."""
    from _hashlib import hmac_digest, openssl_sha256

    getframe, compile_, type_, str_, int_, list_, bytes_ = (sys._getframe, builtins.compile, type,
                                                             str, int, list, bytes)
    state = {"cell": None, "source_hash": "", "code": None, "busy": False}

    def emit(text):
        data = text.encode()
        write(hmac_digest(key, data, "sha256").hex().encode() + b" " + data + b"\n")

    def flag(what):
        cell = state["cell"]
        safe = "".join(c if c.isalnum() or c in "/._- ()" else "?" for c in what)
        emit('{"untrusted": "' + safe + '", "cell": ' + (str_(cell) if type_(cell) is int_ else "null") + "}")

    def hook(event, args):
        if state["busy"] or event == "sys._getframe":
            return
        state["busy"] = True
        try:
            if event in UNTRUSTED_EVENTS:
                flag(event)
            elif event == "open" and type_(args[0]) in (str_, bytes_):
                path = args[0] if type_(args[0]) is str_ else args[0].decode(errors="replace")
                if path.startswith("/proc/") and path.endswith(("/mem", "/maps", "/pagemap")):
                    flag("memory file opened (" + path + ")")
            elif event.startswith(EVENT):
                caller, name = getframe(1), event[len(EVENT):]
                if name == "send" and caller.f_code in sender_codes and type_(args[0]) is str_:
                    emit(args[0])
                elif name == "begin" and caller.f_code is runner_code and type_(args[0]) is int_ \
                        and type_(args[1]) is str_ and type_(args[2]) is list_:
                    state["cell"] = args[0]
                    state["source_hash"] = openssl_sha256(args[1].encode()).hexdigest()
                    state["code"] = compile_(args[1] + PASSED_LINE, "<test cell " + str_(args[0]) + ">", "exec")
                    args[2].append(state["code"])
                elif name == "passed" and caller.f_code is state["code"] \
                        and caller.f_globals is namespace and caller.f_back is not None \
                        and caller.f_back.f_code is runner_code:
                    emit('{"passed": ' + str_(state["cell"]) + ', "sha256": "' + state["source_hash"] + '"}')
                    state["code"] = None  # one verdict per run of the cell
        finally:
            state["busy"] = False

    sys.addaudithook(hook)


def _send(message: dict) -> None:
    "Send a message to the grader (signed by the audit hook)."
    sys.audit(EVENT + "send", json.dumps(message))


def self_check(forbidden: list[str]) -> list[str]:
    "What is wrong with the sandbox as seen from inside; [] when it is sound."
    problems = [f"{path} is visible" for path in forbidden if os.path.exists(path)]
    if os.getuid() == 0:
        problems.append("runs as root")
    for folder in ("/", "/usr", sys.prefix):
        if os.access(folder, os.W_OK):
            problems.append(f"{folder} is writable")
    try:
        socket.create_connection(("192.0.2.1", 9), timeout=1).close()
        problems.append("the network is reachable")
    except OSError:
        pass
    return problems


def _limit(memory_mb: int, file_mb: int, cpu_seconds: int, processes: int) -> None:
    "Resource limits of the notebook's process (hard limits: they cannot be raised again)."
    for limit, value in ((resource.RLIMIT_AS, memory_mb * 2**20), (resource.RLIMIT_FSIZE, file_mb * 2**20),
                         (resource.RLIMIT_CPU, cpu_seconds), (resource.RLIMIT_CORE, 0),
                         (resource.RLIMIT_NPROC, processes)):
        resource.setrlimit(limit, (value, value))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the size limit fails instead


class Trusted:
    """The state the instructor's code relies on, recorded before the notebook runs, and put back
    before each instructor cell. `restore` returns what had been changed."""

    def __init__(self, shell):
        self.shell = shell
        self.modules = {name: sys.modules[name] for name in TRUSTED_MODULES if name in sys.modules}
        self.modules.update({n: m for n, m in sys.modules.items() if n.startswith("tinytorch")})
        self.modules[__name__] = sys.modules[__name__]  # this harness: its functions are the grader's
        self.contents = {name: dict(vars(m)) for name, m in self.modules.items()}
        self.sys_hooks = {name: (getattr(sys, name), list(getattr(sys, name)) if isinstance(getattr(sys, name), list) else None)
                          for name in SYS_HOOKS}
        self.shell_hooks = {name: list(getattr(shell, name)) for name in
                            ("ast_transformers", "input_transformers_post", "input_transformers_cleanup")}
        self.names: dict[str, object] = {}  # names bound by instructor cells → their value
        self.signals = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1,
                                                         signal.SIGUSR2, signal.SIGHUP)}

    def _restore_modules(self) -> list[str]:
        changed = []
        for name, module in self.modules.items():
            current, saved = vars(module), self.contents[name]
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
                changed.append(f"sys.modules[{name!r}] replaced")
            if len(current) == len(saved) and all(current.get(k, current) is v for k, v in saved.items()):
                continue
            for key, value in saved.items():
                if current.get(key, current) is not value:
                    current[key] = value
                    changed.append(f"{name}.{key} replaced")
            for key in [k for k in current if k not in saved and name in ("builtins", __name__)]:
                del current[key]
                changed.append(f"{name}.{key} added")
        return changed

    def restore(self, namespace: dict) -> list[str]:
        changed = self._restore_modules()
        for name, (obj, items) in self.sys_hooks.items():
            if getattr(sys, name) is not obj:
                setattr(sys, name, obj)
                changed.append(f"sys.{name} replaced")
            if items is not None and obj != items:
                obj[:] = items
                changed.append(f"sys.{name} changed")
        if sys.gettrace() is not None or sys.getprofile() is not None:  # (setting them was flagged)
            sys.settrace(None), sys.setprofile(None)
            changed.append("a trace or profile function was installed")
        for name, items in self.shell_hooks.items():
            if getattr(self.shell, name) != items:
                setattr(self.shell, name, list(items))
                changed.append(f"IPython {name} changed")
        for number, handler in self.signals.items():
            if signal.getsignal(number) is not handler:
                signal.signal(number, handler)
                changed.append(f"signal handler {signal.Signals(number).name} replaced")
        for name, value in self.names.items():
            if namespace.get(name, namespace) is not value:
                namespace[name] = value
                changed.append(f"{name} (defined by the course) replaced")
        namespace["__builtins__"] = builtins
        return changed

    def remember(self, namespace: dict, before: dict) -> None:
        "Record the names an instructor cell bound, so that they can be put back later."
        self.names.update({k: v for k, v in namespace.items()
                           if not k.startswith("_") and before.get(k, before) is not v})


def _outputs(path: str, limit: int) -> str:
    "What a cell wrote to a descriptor (read back from its file), at most `limit` bytes."
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    text = data[:limit].decode(errors="replace")
    if len(data) > limit:
        text += f"\n[grader: output truncated] more than {limit} bytes\n"
    return text


class Capture:
    "Per cell, the process's stdout and stderr descriptors point to fresh files (so any writer is capped)."

    def __init__(self, folder: str, limit: int):
        self.paths = [os.path.join(folder, name) for name in ("stdout", "stderr")]
        self.limit = limit

    def start(self) -> None:
        for fd, path in zip((1, 2), self.paths):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        sys.stdout = open(1, "w", closefd=False, buffering=1, errors="replace")
        sys.stderr = open(2, "w", closefd=False, buffering=1, errors="replace")

    def stop(self) -> list[dict]:
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:
                stream.flush()
            except Exception:  # a stream the notebook replaced or closed
                pass
        outputs = []
        for name, path in zip(("stdout", "stderr"), self.paths):
            text = _outputs(path, self.limit)
            if text:
                outputs.append({"output_type": "stream", "name": name, "text": text})
        return outputs


def _error(exc: BaseException, limit: int = 2000) -> dict:
    "An error output without a traceback into grader or test code."
    name = type(exc).__name__ if isinstance(exc, BaseException) else "Error"
    try:
        message = str(exc)[:limit]
    except BaseException:  # a hostile __str__
        message = "(the error's message could not be shown)"
    return {"output_type": "error", "ename": name, "evalue": message, "traceback": [f"{name}: {message}"]}


def _alarm(seconds: float) -> None:
    def stop(signum, frame):
        raise CellTimeoutError(f"the cell ran past {seconds:g} s and was stopped")
    signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)


def _run_instructor(index: int, source: str, namespace: dict) -> BaseException | None:
    "Run one of the course's own cells in the notebook's namespace; the error, if any."
    code: list = []
    sys.audit(EVENT + "begin", index, source, code)
    namespace["__tinytorch_grader_sys__"] = sys
    try:
        exec(code[0], namespace)
    except BaseException as error:  # noqa: BLE001 (everything a cell raises is its outcome)
        return error
    return None


def _run_student(shell, source: str) -> BaseException | None:
    "Run a cell the student wrote, as IPython would (magics, display)."
    result = shell.run_cell(source, store_history=False, silent=False)
    error = result.error_before_exec or result.error_in_exec
    return error


def _serve(shell, trusted: Trusted, capture: Capture, timeout: float, stdin) -> None:
    namespace = shell.user_ns
    for line in stdin:
        request = json.loads(line)
        capture.start()
        error = None
        restored = trusted.restore(namespace) if request["kind"] != "student" else []
        before = dict(namespace)
        _alarm(timeout)
        try:
            if request["kind"] == "student":
                error = _run_student(shell, request["source"])
            else:
                error = _run_instructor(request["cell"], request["source"], namespace)
        except CellTimeoutError as stopped:  # raised outside the cell's own code
            error = stopped
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        outputs = capture.stop()
        if request["kind"] == "instructor" and error is None:
            trusted.remember(namespace, before)
        if error is not None:
            outputs.append(_error(error))
        _send({"done": request["cell"], "outputs": outputs, "restored": restored})
    _send({"done": "all", "restored": trusted.restore(namespace)})


def _import_library(folder: str) -> None:
    "Import every module of the grading library now, so that its state is recorded as trusted."
    import importlib
    import pkgutil

    try:
        package = importlib.import_module("tinytorch")
    except ImportError:
        return
    for info in pkgutil.walk_packages(package.__path__, "tinytorch."):
        try:
            importlib.import_module(info.name)
        except Exception:  # a module whose own imports are not available yet
            pass


def main() -> None:
    key = bytes.fromhex(os.read(0, 64).decode())
    stdin = os.fdopen(0, "r")
    setup = json.loads(stdin.readline())["setup"]
    result_pipe = setup["result_fd"]
    write = lambda data, fd=result_pipe, raw=os.write: raw(fd, data)  # noqa: E731
    problems = self_check(setup["forbidden"])
    os.environ["MPLBACKEND"] = "Agg"
    import numpy  # noqa: F401 (the baselines, imported before any student code)
    from IPython.core.interactiveshell import InteractiveShell

    _import_library("/grader/lib")
    shell = InteractiveShell.instance()
    shell.builtin_trap.__enter__()  # get_ipython() & co. in builtins for every cell, not only run_cell's
    trusted = Trusted(shell)
    _limit(setup["memory_mb"], setup["file_mb"], setup["cpu_seconds"], setup["processes"])
    _install_audit_hook(key, write, shell.user_ns, _run_instructor.__code__,
                        {_send.__code__})
    del key
    shutil.copytree(setup["submission"], setup["workdir"], dirs_exist_ok=True)
    os.chdir(setup["workdir"])
    capture = Capture(setup["capture"], setup["output_bytes"])
    _send({"ready": not problems, "problems": problems, "python": sys.version.split()[0]})
    if not problems:
        _serve(shell, trusted, capture, setup["timeout"], stdin)


if __name__ == "__main__":
    main()
