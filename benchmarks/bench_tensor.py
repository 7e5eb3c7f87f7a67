"""Tensor against NumPy (and PyTorch, if installed) on the same data, side by side in one run.

    .venv/bin/python benchmarks/bench_tensor.py

Targets (issue 3): matmul 256² and 1024² and a broadcasted add on 10^6 elements at ≥ 0.9× NumPy's
speed; an add of two 2×2 tensors ≤ 1.2 µs per op."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_note, no_torch, optional_torch, per_call_seconds  # noqa: E402

import tinytorch as tt  # noqa: E402
from tinytorch.setup import speed_ratio  # noqa: E402

torch = optional_torch()


def speed_vs_numpy(tensor_op, numpy_op) -> float:
    "Tensor's speed as a fraction of NumPy's (1.0 = as fast), median of interleaved rounds."
    return 1.0 / speed_ratio(tensor_op, numpy_op, rounds=15, min_time=5e-3, budget=30.0)


def main() -> None:
    print(machine_note())
    rng = np.random.default_rng(0)
    print(f"\n{'case':<34}{'speed vs NumPy':>16}{'target':>10}")
    for n in (256, 1024):
        a = rng.standard_normal((n, n)).astype(np.float32)
        b = rng.standard_normal((n, n)).astype(np.float32)
        ta, tb = tt.Tensor(a), tt.Tensor(b)
        print(f"{f'matmul {n}x{n} float32':<34}{speed_vs_numpy(lambda: ta @ tb, lambda: a @ b):>15.2f}x{'>= 0.90':>10}")
    x = rng.standard_normal((1000, 1000)).astype(np.float32)
    row = rng.standard_normal(1000).astype(np.float32)
    tx, trow = tt.Tensor(x), tt.Tensor(row)
    print(f"{'add (1000,1000)+(1000,) broadcast':<34}{speed_vs_numpy(lambda: tx + trow, lambda: x + row):>15.2f}x{'>= 0.90':>10}")

    small = np.ones((2, 2), dtype=np.float32)
    ts = tt.Tensor(small)
    timings = {"NumPy": per_call_seconds(lambda: small + small),
               "tinytorch": per_call_seconds(lambda: ts + ts)}
    if torch is not None:
        torch.set_num_threads(1)
        tsmall = torch.ones(2, 2)
        timings[f"PyTorch {torch.__version__}"] = per_call_seconds(lambda: tsmall + tsmall)
    print("\n2x2 float32 add, µs per op (target for tinytorch: <= 1.2 µs)")
    for name, seconds in timings.items():
        print(f"  {name:<22}{seconds * 1e6:7.2f} µs   {seconds / timings['NumPy']:5.2f}x NumPy")
    if torch is None:
        print("  " + no_torch("not in this comparison"))


if __name__ == "__main__":
    main()
