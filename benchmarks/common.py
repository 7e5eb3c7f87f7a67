"""Shared by the benchmark scripts: per-call timing and a note of what ran."""
from __future__ import annotations

import importlib
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's reference tinytorch
from tinytorch.setup import Estimate, calibrate, measure_ratio, time_calls


def optional_torch(*submodules: str):
    """PyTorch, the optional reference (`pip install -r requirements-torch.txt`), with `submodules`
    (such as "utils.benchmark") imported too; None when it is not installed: benchmarks then print
    their tinytorch figures and say that PyTorch's were skipped."""
    try:
        torch = importlib.import_module("torch")
        for name in submodules:
            importlib.import_module(f"torch.{name}")
    except ImportError:
        return None
    return torch


def no_torch(skipped: str) -> str:
    "The line a benchmark prints when PyTorch is missing: what it skipped, and how to add PyTorch."
    return f"PyTorch is not installed: {skipped} (pip install -r requirements-torch.txt)"


def wall_and_cpu_ratio(candidate: Callable[[], object], baseline: Callable[[], object], rounds: int = 9,
                       min_time: float = 0.05, budget: float = 20.0) -> str:
    """candidate / baseline measured twice, by the wall clock and by the thread's CPU time, each as the
    median of interleaved rounds with its 95 % interval. Other programs on a busy machine disturb the CPU
    time less (their time slices are not counted), but it counts the calling thread only: work a library
    hands to other threads, or time it spends waiting, is missing from it."""
    readings = []
    for clock in (time.perf_counter, time.thread_time):
        estimate = measure_ratio(candidate, baseline, rounds=rounds, min_time=min_time, budget=budget, clock=clock)
        readings.append(format_ratio(estimate))
    return f"wall {readings[0]}, CPU {readings[1]}"


def format_ratio(estimate: Estimate) -> str:
    "A ratio's estimate as `median`x (`low`-`high`)."
    return f"{estimate.median:.2f}x ({estimate.low:.2f}-{estimate.high:.2f})"


def per_call_seconds(fn: Callable[[], object], repeats: int = 15) -> float:
    "Median seconds per call over `repeats` calibrated samples."
    number = calibrate(fn, min_time=5e-3)
    return statistics.median(time_calls(fn, number) / number for _ in range(repeats))


def machine_note() -> str:
    "Python, NumPy, the BLAS kernel in use and thread counts: what makes ratios comparable."
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(f"{i['internal_api']} {i.get('version')} ({i.get('architecture')}, "
                         f"{i['num_threads']} threads)" for i in threadpool_info())
    except ImportError:
        blas = "threadpoolctl not installed"
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    return (f"Python {platform.python_version()}, NumPy {np.__version__}, BLAS: {blas}, "
            f"{os.cpu_count()} CPUs" + (f", env {env}" if env else ""))
