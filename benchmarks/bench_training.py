"""Training with tinytorch against PyTorch on the same machine, threads and data, side by side.

    .venv/bin/python benchmarks/bench_training.py        (PyTorch: pip install -r requirements-torch.txt)

Targets (issue 5), as time ratios tinytorch / PyTorch (lower is faster; both interleaved, median
of rounds so machine load hits both alike; one thread each, see main()):
- one SGD training step of an MLP 784-256-10, batch 64, float32: ≤ 1.0
- the same for a small MLP 64-128-10, where framework overhead dominates: ≤ 0.6
- backward ≤ 2.5 × forward time (tinytorch alone)
- autograd overhead per recorded op on tiny tensors ≤ 5 µs
- the digits milestone (64-128-10, Adam, 30 epochs, batch 64) to ≥ 95 % test accuracy in ≤ 0.6 ×
  PyTorch's time for the same schedule (examples/train_digits.py, run with each library)."""
from __future__ import annotations

import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "examples"))
from common import machine_note, no_torch, optional_torch, per_call_seconds  # noqa: E402
from train_digits import train as train_digits  # noqa: E402

import tinytorch as tt  # noqa: E402
from tinytorch.setup import speed_ratio  # noqa: E402

torch = optional_torch()


def training_step(lib, sizes: tuple[int, ...], batch: int = 64):
    "A function doing one SGD step of an MLP with `sizes` in library `lib` (tinytorch or torch)."
    data = np.random.default_rng(0)
    inputs = lib.from_numpy(data.standard_normal((batch, sizes[0])).astype(np.float32))
    targets = lib.from_numpy(data.integers(0, sizes[-1], batch))
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers += [lib.nn.Linear(n_in, n_out), lib.nn.ReLU()]
    model = lib.nn.Sequential(*layers[:-1])
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
    return step, model, loss_fn, inputs, targets


def numpy_training_step(sizes: tuple[int, ...], batch: int = 64):
    """The SGD step of `training_step` (Linear and ReLU layers, cross-entropy, lr 0.01) written out in plain NumPy:
    the array work any NumPy framework's step includes, so its time against PyTorch's is the floor of that ratio."""
    data = np.random.default_rng(0)
    inputs = data.standard_normal((batch, sizes[0])).astype(np.float32)
    targets = data.integers(0, sizes[-1], batch)
    rows = np.arange(batch)
    layers = [(data.uniform(-n_in ** -0.5, n_in ** -0.5, (n_out, n_in)).astype(np.float32), np.zeros(n_out, np.float32))
              for n_in, n_out in zip(sizes, sizes[1:])]

    def step(lr: float = 0.01) -> float:
        activations = [inputs]
        for i, (weight, bias) in enumerate(layers):
            z = activations[-1] @ weight.T + bias
            activations.append(np.maximum(z, 0) if i < len(layers) - 1 else z)
        shifted = activations[-1] - activations[-1].max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -log_probs[rows, targets].mean()
        grad = np.exp(log_probs)
        grad[rows, targets] -= 1
        grad /= batch
        for i in reversed(range(len(layers))):
            weight, bias = layers[i]
            grad_weight, grad_bias = grad.T @ activations[i], grad.sum(axis=0)
            if i:
                grad = (grad @ weight) * (activations[i] > 0)
            weight -= lr * grad_weight
            bias -= lr * grad_bias
        return float(loss)
    return step


def step_ratios() -> None:
    print(f"\n{'training step (SGD, batch 64)':<34}{'tinytorch':>12}{'PyTorch':>12}{'ratio':>8}{'target':>9}")
    for sizes, target in (((784, 256, 10), 1.0), ((64, 128, 10), 0.6)):
        ours, *_ = training_step(tt, sizes)
        theirs, *_ = training_step(torch, sizes)
        ratio = speed_ratio(ours, theirs, rounds=15, min_time=0.02, budget=60.0)
        print(f"{'MLP ' + '-'.join(map(str, sizes)):<34}{per_call_seconds(ours) * 1e6:>10.0f}µs"
              f"{per_call_seconds(theirs) * 1e6:>10.0f}µs{ratio:>8.2f}{'<= ' + str(target):>9}")


def backward_over_forward() -> None:
    _, model, loss_fn, inputs, targets = training_step(tt, (784, 256, 10))
    forward = per_call_seconds(lambda: loss_fn(model(inputs), targets))
    both = per_call_seconds(lambda: loss_fn(model(inputs), targets).backward())
    print(f"\nbackward / forward time, MLP 784-256-10: {(both - forward) / forward:.2f} (target <= 2.5)")


def autograd_overhead() -> None:
    "Per-op cost of recording and backpropagating a chain of adds on 2×2 tensors, minus the plain ops."
    x = tt.tensor(np.ones((2, 2), np.float32), requires_grad=True)
    chain = 200

    def recorded():
        y = x
        for _ in range(chain):
            y = y + 1.0
        y.backward(tt.ones(2, 2))

    def plain():
        with tt.no_grad():
            y = x
            for _ in range(chain):
                y = y + 1.0
    overhead = (per_call_seconds(recorded) - per_call_seconds(plain)) / chain
    print(f"autograd overhead per recorded op (2x2 tensors, forward + backward): {overhead * 1e6:.2f} µs "
          "(target <= 5)")


def digits_milestone(repeats: int = 5) -> None:
    print(f"\ndigits milestone, 64-128-10 Adam, 30 epochs, batch 64 (best of {repeats}, alternating):")
    results = {"tinytorch": [], "torch": []}
    for _ in range(repeats):
        for name, lib in (("tinytorch", tt), ("torch", torch)):
            results[name].append(train_digits(lib, epochs=30))
    for name, runs in results.items():
        print(f"  {name:<10} test accuracy {statistics.median(a for a, _ in runs):.2%}, "
              f"training time {min(s for _, s in runs):.3f} s")
    ratio = min(s for _, s in results["tinytorch"]) / min(s for _, s in results["torch"])
    print(f"  time ratio tinytorch / PyTorch: {ratio:.2f} (target <= 0.6)")


def main() -> None:
    print(machine_note())
    autograd_overhead()
    if torch is None:
        print("\n" + no_torch("no side-by-side ratios"))
        return
    # One thread each. Both libraries in one process with two threads each on a 2-core machine
    # thrash: OpenBLAS's and PyTorch's OpenMP worker threads spin for the same cores, and either
    # side's time grows 5-300x depending on which ran last. Single-threaded, the comparison is
    # of the frameworks, not of their thread pools.
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        print(f"PyTorch {torch.__version__}; NumPy's BLAS and PyTorch both limited to 1 thread")
        step_ratios()
        backward_over_forward()
        digits_milestone()


if __name__ == "__main__":
    main()
