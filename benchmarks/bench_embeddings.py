"""Embedding backward (module 12) against PyTorch's, side by side in one process.

    .venv/bin/python benchmarks/bench_embeddings.py              (10^5 ids over a 10^4 vocabulary, D = 64 and 16)
    .venv/bin/python benchmarks/bench_embeddings.py --threads 2  (both libraries on 2 threads)

Target (issue 15): the backward of an embedding lookup of 10^5 ids over a 10^4-row table at most 2x PyTorch's
time (`torch.ops.aten.embedding_dense_backward`, what `loss.backward()` runs for a dense `nn.Embedding`), with the
same number of threads (NumPy's scatter-add runs on one thread whatever the setting; PyTorch's uses
`torch.set_num_threads`). The two are timed in interleaved rounds (`speed_ratio`: the median of per-round ratios, so
load on the machine hits both alike). Also printed, as ratios to the same PyTorch time: the other scatter-adds the
chapter compares (`np.add.at` on the rows of the 2-d table, one `np.bincount` per column), so the choice of the
reference (`np.add.at` on the flattened table, pairs of floats viewed as complex numbers) can be checked.

Measured on the 2-core course machine while other jobs loaded it (load average 12-14), NumPy 2.4.6, torch 2.13:
  1 thread each:  D = 64: reference 1.24-1.57x PyTorch, np.add.at on rows 6.9-7.1x, bincount per column 4.5-4.7x;
                  D = 16: reference 0.36-0.46x, np.add.at on rows 2.7-2.8x, bincount per column 0.73-0.78x.
  --threads 2:    D = 64: reference 0.58x; D = 16: 0.21x (PyTorch's second thread finds no free core under
                  such load; run it on a quiet machine for that figure).
The one-hot product is not run at this size (10^5 x 10^4 floats is 4 GB). The gradients are checked equal (to
float32 rounding) before timing."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import machine_note, no_torch, optional_torch  # noqa: E402

from tinytorch.embeddings import embedding_backward  # noqa: E402
from tinytorch.setup import speed_ratio  # noqa: E402

torch = optional_torch()


def add_at_rows(grad: np.ndarray, ids: np.ndarray, rows: int) -> np.ndarray:
    "np.add.at on the rows of the 2-d table: the simplest correct scatter-add."
    table = np.zeros((rows, grad.shape[1]), dtype=grad.dtype)
    np.add.at(table, ids, grad)
    return table


def bincount_columns(grad: np.ndarray, ids: np.ndarray, rows: int) -> np.ndarray:
    "One np.bincount per column of the gradient (summed in float64, then cast)."
    columns = np.ascontiguousarray(grad.T)
    return np.stack([np.bincount(ids, weights=column, minlength=rows) for column in columns], axis=1).astype(grad.dtype)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--dims", type=int, nargs="+", default=[64, 16])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    if torch is None:
        sys.exit(no_torch("this comparison needs it"))
    torch.set_num_threads(args.threads)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=args.threads)
    except ImportError:
        pass
    print(machine_note(), f"| torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    rng = np.random.default_rng(0)
    ids = rng.integers(0, args.rows, args.ids)
    for dim in args.dims:
        grad = rng.standard_normal((args.ids, dim)).astype(np.float32)
        torch_ids, torch_grad = torch.from_numpy(ids), torch.from_numpy(grad)

        def torch_backward():
            return torch.ops.aten.embedding_dense_backward(torch_grad, torch_ids, args.rows, -1, False)

        expected = torch_backward().numpy()
        candidates = {"tinytorch embedding_backward (reference)": lambda: embedding_backward(grad, ids, args.rows),
                      "np.add.at on rows": lambda: add_at_rows(grad, ids, args.rows),
                      "np.bincount per column": lambda: bincount_columns(grad, ids, args.rows)}
        print(f"\nbackward of {args.ids:,} ids over {args.rows:,} rows of {dim} (float32), time ÷ PyTorch's:")
        for name, candidate in candidates.items():
            np.testing.assert_allclose(candidate(), expected, rtol=1e-4, atol=1e-4, err_msg=name)
            ratio = speed_ratio(candidate, torch_backward, rounds=args.rounds, min_time=0.05, budget=20)
            verdict = ("  (target ≤ 2x: met)" if ratio <= 2 else "  (target ≤ 2x: NOT met)") if "reference" in name else ""
            print(f"  {name:<42}{ratio:6.2f}x{verdict}")


if __name__ == "__main__":
    main()
