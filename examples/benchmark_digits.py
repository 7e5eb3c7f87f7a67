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
import copy
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's reference tinytorch
import tinytorch as tt  # noqa: E402
from tinytorch.benchmarking import benchmark_suite, write_report  # noqa: E402


def trained_mlp(seed: int = 0) -> tuple[tt.nn.Module, np.ndarray, np.ndarray]:
    "The milestone MLP (64-128-10, Adam, 30 epochs) and the test split it was not trained on."
    X, y = tt.load_digits()
    X_train, X_test, y_train, y_test = tt.train_test_split(X, y, test_size=0.2, seed=seed)
    tt.manual_seed(seed)
    model = tt.nn.Sequential(tt.nn.Linear(64, 128), tt.nn.ReLU(), tt.nn.Linear(128, 10))
    trainer = tt.Trainer(model, tt.nn.CrossEntropyLoss(), tt.optim.Adam(model.parameters(), lr=1e-3), seed=seed)
    trainer.fit(X_train, y_train, epochs=30, batch_size=64, progress=False)
    return model.eval(), X_test, y_test


class InFloat64(tt.nn.Module):
    "The model with its weights in float64, on float64 inputs: the same function, twice the bytes."

    def __init__(self, model: tt.nn.Module):
        self.model = copy.deepcopy(model)
        for parameter in self.model.parameters():
            parameter.data = parameter.data.astype(np.float64)

    def forward(self, x: tt.Tensor) -> tt.Tensor:
        return self.model(x.double())


class RowByRow(tt.nn.Module):
    "The model applied to one row at a time, in a Python loop."

    def __init__(self, model: tt.nn.Module):
        self.model = model

    def forward(self, x: tt.Tensor) -> tt.Tensor:
        return tt.from_numpy(np.stack([self.model(x[i:i + 1]).numpy()[0] for i in range(x.shape[0])]))


class Restandardised(tt.nn.Module):
    "The model behind a standardisation whose statistics are recomputed on every call, then undone (wasted work)."

    def __init__(self, model: tt.nn.Module, X_reference: np.ndarray):
        self.model, self.reference = model, X_reference

    def forward(self, x: tt.Tensor) -> tt.Tensor:
        mean, std = self.reference.mean(axis=0), self.reference.std(axis=0) + 1e-8
        return self.model(tt.from_numpy(((x.numpy() - mean) / std * std + mean).astype(np.float32)))


def variants(model: tt.nn.Module, X_test: np.ndarray) -> dict[str, tt.nn.Module]:
    """Named ways of serving the model, each a Module holding the same weights (so the suite counts
    the same parameters for all): the model itself (the baseline) and three slower wrappers."""
    return {"baseline (float32, batched)": model, "float64": InFloat64(model), "row by row": RowByRow(model),
            "recomputed statistics": Restandardised(model, X_test)}


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
