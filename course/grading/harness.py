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
import __future__
import builtins
import gc
import json
import os
import resource
import shutil
import signal
import socket
import sys
import time
import types

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
CATCHABLE_SIGNALS = tuple(s for s in signal.Signals if s not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGALRM,
                                                                 signal.SIGXFSZ))
SYS_HOOKS = ("excepthook", "displayhook", "unraisablehook", "breakpointhook", "meta_path",
             "path_hooks", "path", "audit", "addaudithook", "settrace", "setprofile", "_getframe",
             "modules", "exit", "getrecursionlimit", "setrecursionlimit")


class CellTimeoutError(BaseException):
    "A cell ran past its time limit (a BaseException so that `except Exception` cannot swallow it)."


IMPORT_MACHINERY = "<frozen importlib._bootstrap"
FRAME_ATTRIBUTES = ("tb_frame", "gi_frame", "cr_frame", "ag_frame")


def _install_guard(key: bytes, write, namespace: dict, runner_code, serve_code, sender_codes,
                   trusted_files: tuple[str, ...], modules: dict) -> None:
    """Install the audit hook that signs every message, restores and checks what the course's code
    relies on, and watches for tampering. `write(bytes)` writes to the result pipe; `modules`
    (name → module) are the modules whose attributes are put back before each course cell.

    Everything the hook uses is bound in this closure, most of it C functions: the notebook can
    patch modules and builtins, but not what the closure holds (reaching it takes the garbage
    collector or ctypes, which are flagged), and the hook never calls Python code the notebook
    could have replaced (which could otherwise read the key from this frame)."""
    from _hashlib import hmac_digest, openssl_sha256

    getframe, current_frames, compile_ = sys._getframe, sys._current_frames, builtins.compile
    getpid, grading_pid = os.getpid, os.getpid()  # a forked child (a DataLoader worker) has another pid
    type_, str_, int_, list_, bytes_, bool_, dict_, len_ = type, str, int, list, bytes, bool, dict, len
    class_dict = type.__dict__["__dict__"].__get__
    set_class_attr, del_class_attr = type.__setattr__, type.__delattr__
    gettrace, getprofile, settrace, setprofile = sys.gettrace, sys.getprofile, sys.settrace, sys.setprofile
    getsignal, setsignal, getitimer, setitimer = signal.getsignal, signal.signal, signal.getitimer, signal.setitimer
    untrusted_events, event_prefix, passed_line = frozenset(UNTRUSTED_EVENTS), EVENT, PASSED_LINE
    import_machinery, frame_attributes = IMPORT_MACHINERY, FRAME_ATTRIBUTES
    missing = object()
    annotations_flag = __future__.annotations.compiler_flag
    sys_modules, builtins_dict, sys_dict = sys.modules, builtins.__dict__, sys.__dict__
    # a module's functions, classes and submodules: not its data (a seeded generator may change)
    watched = [(name, module, module.__dict__, {k: v for k, v in module.__dict__.items()
                                                if callable(v) or type_(v) is types.ModuleType})
               for name, module in modules.items()]
    saved_builtins = dict_(builtins_dict)
    saved_sys = {k: sys_dict[k] for k in SYS_HOOKS if k in sys_dict}
    saved_lists = [(name, lst, list_(lst)) for name, lst in (("sys.meta_path", sys.meta_path),
                   ("sys.path_hooks", sys.path_hooks), ("sys.path", sys.path), ("gc.callbacks", gc.callbacks))]
    signals = {n: getsignal(n) for n in CATCHABLE_SIGNALS}
    # Classes are not put back: students extend the library's classes (07 adds autograd to Tensor).
    classes: list = []
    names: dict = {}  # names bound by the course's cells → their values
    state = {"cell": None, "source_hash": "", "code": None, "globals": None, "test": False,
             "before": None, "busy": False, "future": 0}

    def emit(text):  # "V ..." from the hook itself (verdicts, tampering), "M ..." the harness's messages
        data = text.encode()
        write(hmac_digest(key, data, "sha256").hex().encode() + b" " + data + b"\n")

    def quoted(text):
        return '"' + "".join([c if c.isalnum() or c in "/._- ()[]':," else "?" for c in text[:200]]) + '"'

    def record(kind, items):
        cell = state["cell"]
        emit("V {" + quoted(kind) + ": [" + ", ".join([quoted(i) for i in items]) + '], "cell": '
             + (str_(cell) if type_(cell) is int_ else "null") + "}")

    def flag(what):
        record("untrusted", [what])

    def library_call():
        """Whether the audited call comes only from library and course code (threadpoolctl loading
        BLAS with ctypes, an import): every frame up to the harness, or up to the import
        machinery, is in a file of the Python installation, the venv, the grading library or a
        course cell compiled by this hook. A student's cell or function on the way makes it untrusted."""
        frame = getframe(2)
        while frame is not None and frame.f_code is not serve_code:
            name = frame.f_code.co_filename
            if name.startswith(import_machinery):
                return True
            if not name.startswith(trusted_files):
                return False
            frame = frame.f_back
        return True

    def trusted_stack(frame):
        "Whether a thread runs only library code (tqdm's monitor, say), up to the harness's loop."
        while frame is not None and frame.f_code is not serve_code:
            if not frame.f_code.co_filename.startswith(trusted_files):
                return False
            frame = frame.f_back
        return True

    def differences(repair):
        "What differs from the recorded state (put back when `repair`)."
        changed = []
        for name, module, current, saved in watched:
            if sys_modules.get(name) is not module:
                changed.append("sys.modules[" + name + "]")
                if repair:
                    sys_modules[name] = module
            for k, v in saved.items():
                if current.get(k, missing) is not v:
                    changed.append(name + "." + k)
                    if repair:
                        current[k] = v
        for k in [k for k in builtins_dict if type_(k) is not str_ or k not in saved_builtins]:
            changed.append("builtins." + (k if type_(k) is str_ else "?") + " added")
            if repair:
                del builtins_dict[k]
        for k, v in saved_builtins.items():
            if builtins_dict.get(k, missing) is not v:
                changed.append("builtins." + k)
                if repair:
                    builtins_dict[k] = v
        for k, v in saved_sys.items():
            if sys_dict.get(k, missing) is not v:
                changed.append("sys." + k)
                if repair:
                    sys_dict[k] = v
        for name, lst, items in saved_lists:
            if len_(lst) != len_(items) or any([a is not b for a, b in zip(lst, items)]):
                changed.append(name)
                if repair:
                    lst[:] = items
        if gettrace() is not None or getprofile() is not None:
            changed.append("trace or profile function")
            if repair:
                settrace(None), setprofile(None)
        for cls, saved in classes:
            current = class_dict(cls)
            for k, v in saved.items():
                if current.get(k, missing) is not v:
                    changed.append(cls.__name__ + "." + k)
                    if repair:
                        set_class_attr(cls, k, v)
            for k in [k for k in current if type_(k) is str_ and k not in saved]:
                changed.append(cls.__name__ + "." + k + " added")
                if repair:
                    del_class_attr(cls, k)
        return changed

    def restore():
        changed = differences(True)
        for number, handler in signals.items():
            if getsignal(number) is not handler:
                changed.append("signal handler " + str_(number))
                setsignal(number, handler)
        for timer in (signal.ITIMER_VIRTUAL, signal.ITIMER_PROF):
            if getitimer(timer) != (0.0, 0.0):
                changed.append("interval timer " + str_(timer))
                setitimer(timer, 0)
        for k, v in names.items():
            if namespace.get(k, missing) is not v:
                changed.append(k + " (defined by the course)")
                namespace[k] = v
        return changed

    def begin(index, source, box, test, future):
        changed = restore()
        if changed:
            record("restored", changed)
        state["cell"], state["test"] = index, test
        state["source_hash"] = openssl_sha256(source.encode()).hexdigest()
        # the notebook's `from __future__ import annotations` applies to later cells, as in IPython
        state["code"] = compile_(source + passed_line, "<test cell " + str_(index) + ">", "exec",
                                 (future | state["future"]) & annotations_flag, True)
        state["future"] |= state["code"].co_flags & annotations_flag  # it holds for later cells too
        if test:
            if any([not trusted_stack(frame) for frame in current_frames().values()]):
                flag("a thread the notebook started was running during a test")
            scope = dict_(namespace)  # the test's own globals: student code cannot rebind its names
            scope.update(names)
            scope["__builtins__"] = dict_(saved_builtins)
            state["before"] = dict_(scope)
        else:
            scope, state["before"] = namespace, dict_(namespace)
        scope["__tinytorch_grader_sys__"] = sys
        state["globals"] = scope
        box.append(state["code"]), box.append(scope)

    def end():
        before = state["before"]
        if state["test"] and state["globals"] is not None and before is not None:
            # names the test cell itself bound (helpers later tests use) are the course's: kept and
            # put back. Not names the notebook rebound meanwhile: restore() reports those.
            for k, v in state["globals"].items():
                if type_(k) is str_ and not k.startswith("_") and before.get(k, missing) is not v:
                    names[k] = namespace[k] = v
        if not state["test"] and before is not None:
            for k, v in namespace.items():
                if type_(k) is str_ and not k.startswith("_") and before.get(k, missing) is not v:
                    names[k] = v  # (classes defined here are not put back: students add methods to them)
        state["test"], state["before"], state["code"], state["globals"] = False, None, None, None

    def passed(caller):
        if caller.f_code is not state["code"] or caller.f_globals is not state["globals"] \
                or caller.f_back is None or caller.f_back.f_code is not runner_code:
            return
        changed = differences(False) if state["test"] else []
        if changed:
            record("refused", ["changed while the test ran: " + ", ".join(changed[:20])])
        else:
            emit('V {"passed": ' + str_(state["cell"]) + ', "sha256": "' + state["source_hash"] + '"}')
        state["code"] = None  # one verdict per run of the cell

    def hook(event, args):
        if state["busy"]:
            return
        state["busy"] = True
        try:
            if event == "sys._getframe" or (event == "object.__getattr__" and type_(args[1]) is str_
                                            and args[1] in frame_attributes):
                # Only in the grading process: a forked child's frames are copies (reading them cannot
                # change a verdict), and worker code legitimately formats tracebacks there.
                if state["test"] and getpid() == grading_pid and not library_call():
                    flag("frame inspection during a test")
            elif event in untrusted_events:
                if not (event.startswith("ctypes.") and library_call()):
                    flag(event)
            elif event == "compile" and type_(args[1]) is str_ and args[1].startswith(trusted_files) \
                    and not getframe(1).f_code.co_filename.startswith((import_machinery,) + trusted_files):
                # student code claiming a library's file name (tracebacks compile library files: fine)
                flag("code compiled under a library's or the course's file name")
            elif event == "object.__setattr__" and type_(args[1]) is str_ \
                    and args[1] in ("__code__", "__defaults__", "__kwdefaults__") and not library_call():
                flag("function " + args[1] + " replaced")
            elif event == "open" and type_(args[0]) in (str_, bytes_):
                path = args[0] if type_(args[0]) is str_ else args[0].decode(errors="replace")
                if path.startswith("/proc/") and path.endswith(("/mem", "/maps", "/pagemap")):
                    flag("memory file opened (" + path + ")")
            elif event.startswith(event_prefix):
                caller, name = getframe(1), event[len_(event_prefix):]
                if name == "send" and caller.f_code in sender_codes and type_(args[0]) is str_:
                    emit("M " + args[0])
                elif name == "begin" and caller.f_code is runner_code and len_(args) == 5 \
                        and type_(args[0]) is int_ and type_(args[1]) is str_ and type_(args[2]) is list_ \
                        and type_(args[3]) is bool_ and type_(args[4]) is int_:
                    begin(*args)
                elif name == "end" and caller.f_code is runner_code:
                    end()
                elif name == "passed":
                    passed(caller)
                elif name == "restore":  # after a student's cell: the harness's own code needs builtins
                    changed = restore()
                    if changed:
                        record("restored", changed)
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
    trace = [f"{name}: {message}"]
    if isinstance(exc, NotImplementedError) and not message:  # a release stub: name its function
        stub = _innermost_function(exc)
        trace = ([f"in {stub}()"] if stub else []) + trace  # feedback.error_message reads "in name("
    return {"output_type": "error", "ename": name, "evalue": message, "traceback": trace}


def _innermost_function(exc: BaseException) -> str:
    "The name of the function that raised `exc` (the stub that is still `raise NotImplementedError()`)."
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    name = tb.tb_frame.f_code.co_name if tb is not None else ""
    return name if name.isidentifier() else ""


def _alarm(seconds: float) -> None:
    def stop(signum, frame):
        raise CellTimeoutError(f"the cell ran past {seconds:g} s and was stopped")
    signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)


def _run_instructor(index: int, source: str, test: bool, future: int = 0) -> BaseException | None:
    """Run one of the course's own cells: the guard restores what the course relies on, compiles
    the cell and gives the globals (the notebook's namespace, or for a test a copy of it with the
    course's names and builtins); the error, if any."""
    box: list = []
    sys.audit(EVENT + "begin", index, source, box, test, future)
    try:
        exec(box[0], box[1])
    except BaseException as error:  # noqa: BLE001 (everything a cell raises is its outcome)
        result = error
    else:
        result = None
    sys.audit(EVENT + "end")
    return result


def _run_student(shell, source: str) -> BaseException | None:
    "Run a cell the student wrote, as IPython would (magics, display)."
    try:
        result = shell.run_cell(source, store_history=False, silent=False)
    finally:
        sys.audit(EVENT + "restore")
    return result.error_before_exec or result.error_in_exec


def _serve(shell, capture: Capture, timeout: float, stdin) -> None:
    for line in stdin:
        request = json.loads(line)
        capture.start()
        error = None
        _alarm(timeout)
        try:
            if request["kind"] == "student":
                error = _run_student(shell, request["source"])
            else:
                error = _run_instructor(request["cell"], request["source"], request["kind"] == "test",
                                        int(shell.compile.flags))
                if "from __future__ import annotations" in request["source"]:  # for the student's cells too
                    shell.compile.flags |= __future__.annotations.compiler_flag
        except CellTimeoutError as stopped:  # raised outside the cell's own code
            error = stopped
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        outputs = capture.stop()
        if error is not None:
            outputs.append(_error(error))
        _send({"done": request["cell"], "outputs": outputs})


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
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False  # no history file, and no history thread
    shell = InteractiveShell.instance(config=config)
    shell.builtin_trap.__enter__()  # get_ipython() & co. in builtins for every cell, not only run_cell's
    modules = {name: sys.modules[name] for name in TRUSTED_MODULES if name in sys.modules}
    # (not the grading library's modules: later modules rebind their functions, e.g. 07's autograd ops)
    modules[__name__] = sys.modules[__name__]  # this harness: its functions are the grader's
    _limit(setup["memory_mb"], setup["file_mb"], setup["cpu_seconds"], setup["processes"])
    trusted_files = tuple(sorted({os.path.realpath(p) + "/" for p in (sys.prefix, sys.base_prefix)}
                                 | {"/grader/lib/", "/grader/harness.py", "<test cell "}))
    _install_guard(key, write, shell.user_ns, _run_instructor.__code__, _serve.__code__,
                   {_send.__code__}, trusted_files, modules)
    del key
    shutil.copytree(setup["submission"], setup["workdir"], dirs_exist_ok=True)
    os.chdir(setup["workdir"])
    capture = Capture(setup["capture"], setup["output_bytes"])
    _send({"ready": not problems, "problems": problems, "python": sys.version.split()[0]})
    if not problems:
        _serve(shell, capture, setup["timeout"], stdin)


if __name__ == "__main__":
    main()
