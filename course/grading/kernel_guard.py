"""Protections installed in every grading kernel before the student's notebook runs.

* Memory: the address space is capped (TINYTORCH_GRADING_MEMORY_MB, default 4096), so a
  runaway allocation raises MemoryError in that cell instead of taking the machine down.
* Clocks: the functions of the `time` module are checked before and after every cell; one that
  the notebook replaced is put back and the attempt is reported in the output with
  TAMPER_TAG, which the grade report collects. Performance tests therefore always measure with
  the real clock.
* Output: each cell may print at most TINYTORCH_GRADING_OUTPUT_KB (default 64) kilobytes; the
  rest is dropped with a note, so a flood cannot exhaust the grader's memory.
"""
from __future__ import annotations

import os
import resource
import sys
import time

TAMPER_TAG = "[grader: tampering]"
TRUNCATED_TAG = "[grader: output truncated]"
CLOCKS = ("perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns", "time", "time_ns",
          "process_time", "process_time_ns", "thread_time", "thread_time_ns")


class CappedStream:
    """A text stream that forwards at most `limit` characters per cell to `stream`."""

    def __init__(self, stream, limit: int):
        self._stream, self._limit, self._written = stream, limit, 0

    def reset(self) -> None:
        self._written = 0

    def write(self, text: str) -> int:
        room = self._limit - self._written
        if room > 0:
            self._stream.write(text[:room])
            if len(text) > room:
                self._stream.write(f"\n{TRUNCATED_TAG} more than {self._limit} characters\n")
        self._written += len(text)
        return len(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


class ClockWatch:
    """Remembers the real clock functions and puts back any that were replaced."""

    def __init__(self):
        self.originals = {name: getattr(time, name) for name in CLOCKS if hasattr(time, name)}

    def restore(self) -> list[str]:
        "Put back replaced clocks; return their names."
        replaced = [n for n, f in self.originals.items() if getattr(time, n, None) is not f]
        for name in replaced:
            setattr(time, name, self.originals[name])
        return replaced


def _limit_memory() -> None:
    megabytes = int(os.environ.get("TINYTORCH_GRADING_MEMORY_MB", "4096"))
    limit = megabytes * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def install() -> None:
    "Install the memory cap, the clock watch and the output cap in this (IPython) kernel."
    _limit_memory()
    watch = ClockWatch()
    limit = int(os.environ.get("TINYTORCH_GRADING_OUTPUT_KB", "64")) * 1024
    streams = [CappedStream(sys.stdout, limit), CappedStream(sys.stderr, limit)]
    sys.stdout, sys.stderr = streams

    def check_clocks(*_):
        replaced = watch.restore()
        if replaced:
            names = ", ".join(f"time.{n}" for n in replaced)
            # stdout, not stderr: nbgrader scores a graded cell that writes to stderr as failed,
            # and the notice must not change any grade.
            print(f"{TAMPER_TAG} {names} replaced by the notebook; the real clock was restored.")

    def before_cell(*args):
        for stream in streams:
            stream.reset()
        check_clocks()

    from IPython import get_ipython

    shell = get_ipython()
    shell.events.register("pre_run_cell", before_cell)
    shell.events.register("post_run_cell", check_clocks)
