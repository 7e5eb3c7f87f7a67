"""In-place operations (issue 13): what an in-place weight update allocates, and what the small
operations cost against PyTorch, side by side.

    .venv/bin/python benchmarks/bench_inplace.py        (PyTorch: pip install -r requirements-torch.txt)
    .venv/bin/python benchmarks/bench_inplace.py --grid (04's linear product, both ways, over 252 float32 shapes)

Targets, as in the issue:
- an in-place optimizer update (`p.add_(g, alpha=-lr)`, `p -= lr * p.grad` under no_grad, SGD.step)
  allocates no new parameter array: its peak allocation (module 19's MemoryTracker) is at most the
  size of one gradient (the temporary lr * g), plus a few kB of Python objects;
- time ratios tinytorch / PyTorch (one thread each): a 2×2 Tensor add ≤ 0.75, an in-place 2×2 add_ (new),
  the SGD step of an MLP 784-256-10 ≤ 0.9 and of 64-128-10 ≤ 0.6. Each is the median of interleaved rounds
  with its 95 % interval, by the wall clock and by the calling thread's CPU time (see common.wall_and_cpu_ratio).

Measured 2026-12-01, 3 runs at load 3.7-5.8 (2 cores shared): every update 1.00 gradients, same array;
2x2 add 0.84-0.87 (missed), add_ 1.8-2.6, 784-256-10 0.66-0.77, 64-128-10 0.53-0.66.
Measured 2026-12-02 (load about 1), after 07's wrapper checks requires_grad inline: 2x2 add 0.69-0.82
over 11 runs, 64-128-10 0.61-0.72, 784-256-10 0.50-0.94 (the low readings were the calibration fault below).
Measured 2026-12-02 later, after binary operators got a two-argument wrapper (07) and calibrate an untimed first
call (01). Side by side with the previous code (alternating processes, 4 x 3 measurements): 2x2 add 0.69-0.77
before, 0.58-0.64 after. This script, 3 runs (medians wall / CPU): 2x2 add 0.65-0.69 / 0.63-0.67 (goal met),
add_ 2.2-2.3, 784-256-10 0.79-0.88 / 0.74-0.90, 64-128-10 0.63-0.70 / 0.63-0.66 (goal 0.6: missed by 0.03-0.1).
The step's overhead over the same MLP in plain NumPy (forward and backward each ~1.8x) is spread over pieces
of a few per cent of the step each: recording the five nodes (~6 %), the gradients' copies into .grad (~5 %;
a copy on first use, as 07 teaches), the modules' Python (~3 %), nll_loss's label check (~2 %), the VJPs'
tensor wrappers. Before 01's fix, a first call slower than min_time ended calibrate's search at one call per
sample, and every round then timed one cold call: PyTorch's first 784-256-10 step in a process takes ~20 ms,
and its first add ~40 ms when its library's pages are not in memory; with the page cache dropped, the old code
printed wall 0.41x and 0.48x for 784-256-10 (CPU time 0.87x, 0.86x), the new 0.85x and 0.88x.
Measured 2026-12-02 later still, after 04's linear uses a 2-D batch (N, in) as it is (its reshapes cost a few us a
call; ~5 % of the 64-128-10 step, 0.92-0.95x of the previous step's time in one process): this script, 6 runs at
load ~1 (medians wall / CPU): 64-128-10 0.57-0.62 / 0.58-0.61, 784-256-10 0.80-0.90 / 0.83-0.90, 2x2 add 0.66-0.70
/ 0.69-0.70, add_ 2.23-2.35; 4 runs on the idle machine (load 0.2), where PyTorch gains more: 64-128-10 0.60-0.63 /
0.61-0.65, 784-256-10 0.91-0.92 / 0.91, 2x2 add 0.70-0.72. Alternating processes on the idle machine, old code
against new (speed_ratio, 3 x 2): 64-128-10 0.59-0.61 -> 0.56-0.58, 784-256-10 0.91-0.92 -> 0.89-0.91. Both step
goals are at their edge: met or missed by a few hundredths, depending on the machine's state.
Measured 2026-12-02 on another machine (OpenBLAS's Haswell kernels, load ~0.8), after 04's linear folds rows with
two helpers (the step's time unchanged: 0.98-1.02x of the previous code's in one process): 6 runs (medians wall /
CPU): 2x2 add 0.64-0.68 / 0.60-0.69, 784-256-10 0.72-0.92 / 0.74-0.91, 64-128-10 0.62-0.70 / 0.59-0.67 (missed).
Where the 64-128-10 step's time goes, in instructions (valgrind --tool=callgrind, 1,000 steps less none): 1.38 M a
step against 1.00 M for the same MLP in plain NumPy. The array work is the same (BLAS 441 k in both, NumPy 374 k
against 348 k); the difference is the interpreter, 372 k against 69 k: 4,569 bytecodes a step, of which the
topological order 16 %, the reverse sweep 11 %, _wrap 14 % (23 calls) and recording the five nodes ~20 %.
The 2x2 add is ~0.55 us of np.add and ~0.5 us of Python (07's wrapper, 02's operator, _binary_op, _wrap); add_
costs 2.3x PyTorch's: the ufunc with out= and casting=, and the version count of the storage.
Later on 2026-12-02, same machine: the steps above are measured after the add_ cases, i.e. with a live tensor changed
in place, a state every tutorial-style script reaches (`p -= lr * p.grad` under no_grad). In that state 07 recorded
the version of each saved array at every node and looked all of them up before each node's backward: 0.62-0.64 here
against 0.55-0.57 for the same step measured alone. Now 02 and 07 share a clock (02's `_Clock`): nodes and in-place
changes take its ticks, and only a node made before the latest change looks its arrays up. Optimizer steps, 04's
initialisers and load_state_dict now count their in-place changes, as PyTorch's do (a backward through a graph made
before a step used the new weights silently). In one process against the previous package (60 interleaved rounds,
CPU time): 64-128-10 after an in-place change 0.95x of the previous step's time, with no change before 1.02x (the
four parameters' version counts), 784-256-10 1.01x. This script, 3 runs at load ~1.5 (medians wall / CPU):
64-128-10 0.53-0.59 / 0.59-0.62, 784-256-10 0.83-0.86 / 0.79-0.88, 2x2 add 0.67-0.70 / 0.66-0.70, add_ 2.5-2.6
(its change now also takes a tick).
Measured 2026-12-02 evening on another machine (OpenBLAS's SkylakeX kernel), with the new floor rows: the same
step written in plain NumPy (bench_training.numpy_training_step) against PyTorch's, which no NumPy framework can
beat. 4 runs: 784-256-10 0.96-1.02 (floor 0.77-0.85), 64-128-10 0.49-0.68 (floor 0.26-0.39), 2x2 add 0.59-0.63.
There OpenBLAS takes 1.3-1.4x PyTorch's time for x @ W.T (64x784 by 784x256), and NumPy's `p -= lr * g` makes two
passes where PyTorch's `add_(g, alpha)` makes one (82 against 22 us for the 784x256 weight); the package from
before issue 13 (2db879c^) measured 0.97-1.01 for 784-256-10 in the same harness, so the in-place machinery costs
nothing, but the 0.9 target is out of a NumPy framework's reach on that BLAS. For 64-128-10 PyTorch's own step time
varies by 1.5x between processes, while tinytorch's step stays 1.7-1.9x the floor's.
Measured 2026-12-03, same kind of machine (SkylakeX kernel, load ~0.9), after 07's backward keeps a leaf's gradient
array instead of copying it into .grad when nothing else refers to it (PyTorch's AccumulateGrad does the same).
In one process, copying against keeping (30 interleaved rounds of 20 steps, CPU time, 3 runs): 784-256-10 0.95-1.00
-> 0.91-0.98 of PyTorch's time, 64-128-10 0.56 -> 0.51. This script, alternating processes with the previous commit
(e0a1fa1), 4 x 2 runs (medians wall / CPU): 64-128-10 0.56-0.60 / 0.52-0.59 before, 0.44-0.54 / 0.44-0.58 after
(goal met); 784-256-10 0.93-0.96 / 0.93-0.96 before, 0.90-0.99 / 0.91-1.00 after (floor 0.77-0.81: the goal of 0.9
is still at the edge, PyTorch's own step time moving by more than the gain between processes); 2x2 add 0.59-0.63.
Measured 2026-12-03 later, after 04's linear computes its product the column-ordered way where NumPy's OpenBLAS is
faster (_faster_in_column_order: float32, 8 to 64 rows into 256 or more outputs; (weight @ rows.T).T, copied back to
row order, the same numbers). The product alone (the last table, 2 runs): 64 x 784 -> 256 0.84-0.87 of plain `rows @
weight.T`, 8 x 784 -> 256 0.46-0.47, 32 x 256 -> 512 0.72-0.77, 64 x 256 -> 256 0.92-0.98; where the rule keeps the
plain way, 0.99-1.11 (two more Python calls on a 5 us product); in float64 the column-ordered way gains nothing
(0.88-1.09 on five of these shapes), so the rule keeps float64 plain. The rule comes from a grid of 252 float32 shapes
(`--grid`; 1-256 rows, 64-1024 in, 10-1024 out): over the grid it takes 0.89 of the plain way's time (always the
faster way: 0.87), and where it takes the column-ordered way that is never the slower one (at most 0.98 of the plain
time). Alternating processes with the previous commit (8200642), 3 x 2 runs (medians wall / CPU): 784-256-10 0.92-0.98
/ 0.94-0.97 before, 0.87-0.91 / 0.86-0.89 after (floor 0.74-0.82): the goal of 0.9 met in 5 of 6 readings; 64-128-10
0.53-0.61 / 0.53-0.63 before, 0.48-0.61 / 0.53-0.63 after (no change beyond PyTorch's own variation between
processes); 2x2 add 0.60-0.63. Three runs of this script an hour later (1cf039e, the machine otherwise idle):
784-256-10 0.90-0.92 / 0.90-0.91 (floor 0.75-0.80), 64-128-10 0.59-0.66 / 0.61-0.67 (floor 0.33-0.34, against
0.25-0.33 earlier: PyTorch's step was faster in these processes), 2x2 add 0.58-0.64. Both step goals are at their
edge: what tinytorch controls is its step against the plain-NumPy step, and that moved from 1.15-1.22 to 1.10-1.14 for
784-256-10 (the two steps interleaved in one process, CPU time, 10 alternating runs each of old and new); for 64-128-10
it is 1.7-2.1, the difference being one Python call per NumPy operation and per node.
Measured 2026-12-03, after 02's arithmetic gives PyTorch's result dtype (an operator checks whether NumPy's dtype
is the tensor's own, and works the dtype out only for mixed dtypes) and 07's operator wrapper reads `a.requires_grad`
without an isinstance (`a` is the tensor itself): side by side with the previous package (this script run from each
checkout, alternating, 2 x 2): 2x2 add 0.56-0.61 before, 0.64-0.67 after (the dtype check is ~60 ns of a ~1.1 us add),
784-256-10 0.88-0.89 / 0.87-0.92, 64-128-10 0.54-0.63 / 0.47-0.54, add_ unchanged (2.3-2.4).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))
from bench_training import numpy_training_step, training_step  # noqa: E402
from common import machine_note, no_torch, optional_torch, per_call_seconds, wall_and_cpu_ratio  # noqa: E402

from tests.test_compat_memory import SLACK, parameter, update_peak, updates  # noqa: E402  (what the test asserts)

import tinytorch as tt  # noqa: E402
from tinytorch.layers import _faster_in_column_order, _rows_times_transposed  # noqa: E402

torch = optional_torch()


def update_allocations(shape=(784, 256)) -> None:
    p = parameter(shape)
    gradient = p.grad.data.nbytes
    print(f"\npeak allocation of one in-place update of a {shape} float32 parameter "
          f"(one gradient: {gradient:,} bytes; target: at most that, plus {SLACK:,} bytes of Python objects):")
    for name, update in updates(p).items():
        before = p.data
        peak = update_peak(update)
        verdict = "ok" if peak <= gradient + SLACK and p.data is before else "OVER"
        print(f"  {name:<28}{peak:>12,} bytes  ({peak / gradient:.2f} gradients, same array: "
              f"{p.data is before})  {verdict}")


def small_op_ratios() -> None:
    a, b = np.ones((2, 2), np.float32), np.full((2, 2), 2, np.float32)
    ta, tb = tt.from_numpy(a.copy()), tt.from_numpy(b.copy())
    pa, pb = torch.from_numpy(a.copy()), torch.from_numpy(b.copy())
    cases = [("2x2 add (a + b)", lambda: ta + tb, lambda: pa + pb, "<= 0.75"),
             ("2x2 in-place add_ (a.add_(b))", lambda: ta.add_(tb), lambda: pa.add_(pb), "-")]
    for sizes, target in (((784, 256, 10), "<= 0.9"), ((64, 128, 10), "<= 0.6")):
        name, theirs = f"MLP {'-'.join(map(str, sizes))}", training_step(torch, sizes)[0]
        cases.append((f"SGD step, {name}", training_step(tt, sizes)[0], theirs, target))
        cases.append((f"  floor: plain NumPy, {name}", numpy_training_step(sizes), theirs, "-"))
    print(f"\n{'tinytorch / PyTorch':<38}{'target':<9}ratio: median (95 % interval)")
    for name, ours, theirs, target in cases:
        print(f"{name:<38}{target:<9}{wall_and_cpu_ratio(ours, theirs, rounds=15, min_time=0.02, budget=30.0)}")


def linear_layout_ratios() -> None:
    """04's forward product (_rows_times_transposed) against plain `rows @ weight.T`, for batches and layers on both
    sides of its rule: below 1 where it takes the column-ordered way, about 1 where it takes the plain one."""
    print(f"\n{'linear forward, rows x in -> out':<34}{'way':<8}_rows_times_transposed / rows @ weight.T")
    data = np.random.default_rng(0)
    for n_rows, n_in, n_out, dtype in ((64, 784, 256, np.float32), (8, 784, 256, np.float32), (32, 256, 512, np.float32),
                                       (64, 256, 256, np.float32), (64, 128, 10, np.float32), (128, 784, 256, np.float32),
                                       (1, 784, 256, np.float32), (64, 784, 256, np.float64)):
        rows, weight = (data.standard_normal(shape).astype(dtype) for shape in ((n_rows, n_in), (n_out, n_in)))
        way = "columns" if _faster_in_column_order(rows.dtype, n_rows, n_in, n_out) else "plain"
        ratio = wall_and_cpu_ratio(lambda: _rows_times_transposed(rows, weight), lambda: rows @ weight.T,
                                   rounds=9, min_time=0.01, budget=10.0)
        print(f"{f'{n_rows} x {n_in} -> {n_out}, {np.dtype(dtype).name}':<34}{way:<8}{ratio}")


def linear_layout_grid() -> None:
    """The grid the rule of _faster_in_column_order was read from (`--grid`, about half a minute): for each shape the
    column-ordered way's time against the plain way's, and over the whole grid the time the rule takes against
    always the plain way and always the faster one."""
    from tinytorch.setup import speed_ratio
    data, totals = np.random.default_rng(0), {"plain": 0.0, "rule": 0.0, "faster": 0.0}
    print("\ncolumn-ordered / plain, one line per number of rows; in the cells in_features:ratios for out_features "
          "10, 64, 128, 256, 512, 1024 (* where the rule takes the column-ordered way)")
    for n_rows in (1, 8, 16, 32, 64, 128, 256):
        cells = []
        for n_in in (64, 128, 256, 512, 784, 1024):
            ratios = []
            for n_out in (10, 64, 128, 256, 512, 1024):
                rows, weight = (data.standard_normal(s).astype(np.float32) for s in ((n_rows, n_in), (n_out, n_in)))
                plain = per_call_seconds(lambda: rows @ weight.T, repeats=5)
                ratio = speed_ratio(lambda: np.ascontiguousarray((weight @ rows.T).T), lambda: rows @ weight.T,
                                    rounds=5, min_time=2e-3, budget=1.0)
                chosen = _faster_in_column_order(rows.dtype, n_rows, n_in, n_out)
                totals["plain"] += plain
                totals["rule"] += plain * (ratio if chosen else 1.0)
                totals["faster"] += plain * min(ratio, 1.0)
                ratios.append(f"{ratio:.2f}{'*' if chosen else ''}")
            cells.append(f"{n_in}:" + ",".join(ratios))
        print(f"{n_rows:>4} rows  " + "  ".join(cells))
    print(f"over the grid, against always the plain way: the rule {totals['rule'] / totals['plain']:.3f}, "
          f"always the faster way {totals['faster'] / totals['plain']:.3f}")


def main() -> None:
    print(machine_note())
    if "--grid" in sys.argv[1:]:
        from threadpoolctl import threadpool_limits
        with threadpool_limits(limits=1):
            linear_layout_grid()
        return
    update_allocations()
    if torch is None:
        print("\n" + no_torch("no side-by-side ratios"))
        return
    from threadpoolctl import threadpool_limits  # one thread each, as in bench_training.py

    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        small_op_ratios()
        linear_layout_ratios()


if __name__ == "__main__":
    main()
