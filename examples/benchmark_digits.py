"""Benchmark variants of the digits MLP with tinytorch.benchmarking and write a report.

    python examples/benchmark_digits.py                     # writes reports/digits.html and reports/digits.md
    python examples/benchmark_digits.py --out somewhere/    # elsewhere

Trains the milestone MLP of module 08 once, then measures four ways of serving it on the test set
(the baseline; the same weights in float64; one row at a time; the baseline with an extra
standardisation pass recomputed on every call) with `benchmark_suite`: latency with its interval,
throughput, peak memory, size and accuracy, each compared with the baseline by a significance
test. The report is what module 19's case study produces, from the command line."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import tinytorch as tt
from tinytorch.benchmarking import benchmark_suite, write_report


def trained_mlp(seed: int = 0) -> tuple[tt.nn.Module, np.ndarray, np.ndarray]:
    "The milestone MLP (64-128-10, Adam, 30 epochs) and the test split it was not trained on."
    X, y = tt.load_digits()
    X_train, X_test, y_train, y_test = tt.train_test_split(X, y, test_size=0.2, seed=seed)
    tt.manual_seed(seed)
    model = tt.nn.Sequential(tt.nn.Linear(64, 128), tt.nn.ReLU(), tt.nn.Linear(128, 10))
    trainer = tt.Trainer(model, tt.nn.CrossEntropyLoss(), tt.optim.Adam(model.parameters(), lr=1e-3), seed=seed)
    trainer.fit(X_train, y_train, epochs=30, batch_size=64, progress=False)
    return model.eval(), X_test, y_test


def variants(model: tt.nn.Module, X_test: np.ndarray) -> dict[str, callable]:
    """Named ways of computing the model's outputs for a batch of rows: the model itself (the
    baseline; the suite counts its parameters) and three functions of an ndarray."""
    weights64 = [(layer.weight.data.astype(np.float64), layer.bias.data.astype(np.float64))
                 for layer in (model[0], model[2])]

    def float64(rows):
        (w1, b1), (w2, b2) = weights64
        return np.maximum(rows.astype(np.float64) @ w1.T + b1, 0) @ w2.T + b2

    def row_by_row(rows):
        return np.stack([model(tt.from_numpy(row[None])).numpy()[0] for row in rows])

    def restandardised(rows):  # recomputes statistics of the whole test set on every call, then undoes them
        mean, std = X_test.mean(axis=0), X_test.std(axis=0) + 1e-8
        return model(tt.from_numpy(((rows - mean) / std * std + mean).astype(np.float32))).numpy()

    return {"baseline (float32, batched)": model, "float64": float64, "row by row": row_by_row,
            "recomputed statistics": restandardised}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("reports"), help="folder for digits.html and digits.md")
    parser.add_argument("--samples", type=int, default=15, help="timing samples per model")
    args = parser.parse_args()
    model, X_test, y_test = trained_mlp()
    with tt.no_grad():
        suite = benchmark_suite(variants(model, X_test), X_test, y_test, atol=1e-3, samples=args.samples,
                                min_time=0.01)
    print(suite.table())
    for name, comparison in suite.compare("baseline (float32, batched)").items():
        print(comparison)
    args.out.mkdir(parents=True, exist_ok=True)
    for suffix in ("html", "md"):
        path = write_report(suite, args.out / f"digits.{suffix}", title="Digits MLP: ways of serving it")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
