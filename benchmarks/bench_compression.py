"""Module 18's compressed digits MLPs against the dense one, and sparse against dense products, side by side.

    .venv/bin/python benchmarks/bench_compression.py      (PyTorch's sparse CSR product: pip install -r requirements-torch.txt)

Targets (issue 16), on the digits MLP 64-256-10 (19,210 parameters, trained 10 epochs with Adam):
- at least 90 % of the weights removed (iterative global magnitude pruning, 3 epochs of fine-tuning per round)
  with at most 1.5 points of test accuracy lost
- the pruned weights at least 5x smaller in sparse storage (CSR, counted in bytes)
- structured pruning (75 % of the hidden neurons removed, layers shrunk to 64-64-10) at least 2x faster inference
Also printed, as time ratios (interleaved rounds, median of the per-round ratios, one BLAS thread): the CSR product
against the dense BLAS product of a 2048x2048 weight at 90 % and 99 % sparsity, with one vector and with 64 inputs
(and PyTorch's CSR product, with torch), and what distillation gains for a 64-32-10 student on 200 digits."""
from __future__ import annotations

import copy
import sys
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import machine_note  # noqa: E402

import tinytorch as tt  # noqa: E402
import tinytorch.compression as tc  # noqa: E402
from tinytorch.setup import speed_ratio  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

X, y = tt.load_digits()
X_train, X_test, y_train, y_test = tt.train_test_split(X, y, test_size=0.2, seed=0)


def mlp(hidden: int) -> tt.nn.Sequential:
    return tt.nn.Sequential(tt.nn.Flatten(), tt.nn.Linear(64, hidden), tt.nn.ReLU(), tt.nn.Linear(hidden, 10))


def train(model: tt.nn.Module, epochs: int, X: np.ndarray = X_train, y: np.ndarray = y_train, batch_size: int = 64) -> tt.nn.Module:
    tt.Trainer(model, tt.nn.CrossEntropyLoss(), tt.optim.Adam(model.parameters(), lr=3e-3), seed=0).fit(
        X, y, epochs=epochs, batch_size=batch_size, progress=False)
    return model.eval()


def accuracy(model: tt.nn.Module) -> float:
    model.eval()
    with tt.no_grad():
        return float((model(tt.tensor(X_test)).data.argmax(axis=1) == y_test).mean())


def weight_bytes(model: tt.nn.Module, index_dtype=None) -> int:
    "Bytes of the Linear weights: dense float32, or in CSR with column indices of `index_dtype`."
    model = copy.deepcopy(model)
    total = 0
    for module, name in tc.prunable(model):
        if tc.is_pruned(module):
            tc.remove(module, name)
        weight = getattr(module, name).data
        total += weight.nbytes if index_dtype is None else tc.to_csr(weight, index_dtype).nbytes
    return total


def pruning(dense: tt.nn.Module, base: float) -> None:
    pruned = copy.deepcopy(dense)
    print(f"\n{'sparsity':>8}{'accuracy':>10}{'lost':>7}{'CSR int32':>11}{'CSR int16':>11}")
    results = {}
    for target in (0.5, 0.7, 0.8, 0.85, 0.9, 0.95):
        score = accuracy(train(tc.prune_to(pruned, target), 3))
        dense_bytes = weight_bytes(pruned)
        smaller = [dense_bytes / weight_bytes(pruned, dtype) for dtype in (np.int32, np.int16)]
        results[target] = (tc.sparsity(pruned), score, smaller[1])
        print(f"{tc.sparsity(pruned):>8.1%}{score:>10.2%}{100 * (base - score):>7.2f}{smaller[0]:>10.1f}x{smaller[1]:>10.1f}x")
    zeros, score, smaller = results[0.9]
    print(f"target: >= 90 % removed with <= 1.5 points lost: {zeros:.1%}, {100 * (base - score):.2f} points "
          f"{'met' if zeros >= 0.899 and base - score <= 0.015 else 'MISSED'}; CSR >= 5x smaller: {smaller:.1f}x "
          f"{'met' if smaller >= 5 else 'MISSED'} (int16 column indices)")


def structured(dense: tt.nn.Module) -> None:
    model = copy.deepcopy(dense)
    tc.ln_structured(model[1], "weight", amount=0.75, n=2, dim=0)
    tc.custom_from_mask(model[1], "bias", model[1].weight_mask.data[:, 0])
    train(model, 3)
    tc.remove(model[1], "weight"), tc.remove(model[1], "bias")
    first, second = tc.shrink_linear_pair(model[1], model[3], tc.kept_neurons(model[1]))
    small = tt.nn.Sequential(tt.nn.Flatten(), first, tt.nn.ReLU(), second)
    inputs = tt.tensor(np.tile(X_test, (6, 1))[:2048])
    with tt.no_grad():
        faster = speed_ratio(lambda: dense(inputs), lambda: small(inputs), rounds=9, min_time=0.02)
    print(f"\nstructured: 75 % of the hidden neurons pruned, shrunk to 64-{small[1].out_features}-10, accuracy "
          f"{accuracy(small):.2%}; forward on 2,048 digits dense / shrunk: {faster:.2f}x "
          f"(target >= 2x: {'met' if faster >= 2 else 'MISSED'})")


def sparse_products() -> None:
    rng = np.random.default_rng(0)
    full = rng.standard_normal((2048, 2048)).astype(np.float32)
    vector, batch = rng.standard_normal(2048).astype(np.float32), rng.standard_normal((2048, 64)).astype(np.float32)
    print("\nCSR / dense BLAS product time, 2048x2048 weight (> 1: CSR slower):")
    for zeros in (0.9, 0.99):
        pruned = full * tc.magnitude_mask(np.abs(full), zeros)
        csr = tc.to_csr(pruned)
        for label, x in (("one vector", vector), ("64 inputs", batch)):
            ours = speed_ratio(lambda: csr @ x, lambda: full @ x, min_time=0.02)
            line = f"  {zeros:.0%} sparse, {label:>10}: tinytorch CSR {ours:6.2f}x"
            if torch is not None:
                torch.set_num_threads(1)
                with warnings.catch_warnings():  # "Sparse CSR tensor support is in beta state"
                    warnings.simplefilter("ignore")
                    sparse_t = torch.from_numpy(pruned).to_sparse_csr()
                dense_t, x_t = torch.from_numpy(full), torch.from_numpy(x)
                theirs = speed_ratio(lambda: sparse_t @ x_t, lambda: dense_t @ x_t, min_time=0.02)
                line += f"   PyTorch {torch.__version__} CSR {theirs:6.2f}x"
            print(line)
    rows = np.ascontiguousarray(full[:512])
    print(f"  structured, 512 of 2048 rows kept, 64 inputs: dense full / shrunk {speed_ratio(lambda: full @ batch, lambda: rows @ batch, min_time=0.02):.2f}x")


def distillation(teacher: tt.nn.Module) -> None:
    gains = []
    for seed in (2, 3, 4):
        tt.manual_seed(seed)
        start = mlp(32)
        alone = accuracy(train(copy.deepcopy(start), 60, X_train[:200], y_train[:200], batch_size=32))
        taught = accuracy(tc.distill(copy.deepcopy(start), teacher, X_train[:200], y_train[:200], epochs=60, batch_size=32))
        gains.append(100 * (taught - alone))
        print(f"  seed {seed}: labels only {alone:.2%}, distilled {taught:.2%}")
    print(f"distillation gain (64-32-10 on 200 digits, teacher 64-256-10): {np.mean(gains):+.2f} points on average")


def main() -> None:
    print(machine_note())
    with threadpool_limits(limits=1, user_api="blas"):
        tt.manual_seed(0)
        dense = train(mlp(256), 10)
        base = accuracy(dense)
        print(f"dense MLP 64-256-10: {sum(p.data.size for p in dense.parameters()):,} parameters, accuracy {base:.2%}")
        pruning(dense, base)
        structured(dense)
        sparse_products()
        print()
        distillation(dense)


if __name__ == "__main__":
    main()
