"""Module 09's convolution and pooling against PyTorch on the same machine, threads and data, side by side.

    .venv/bin/python benchmarks/bench_spatial.py        (PyTorch: pip install -r requirements-torch.txt)

Targets (issue 14), as time ratios tinytorch / PyTorch (lower is faster; interleaved rounds, median of
the per-round ratios, so machine load hits both alike; one thread each, as in bench_training.py):
- Conv2d forward + backward, batch 32, 16 -> 32 channels, 3x3, padding 1, 16x16 input, float32: <= 2.0
- max pooling 2x2 forward + backward on (32, 32, 16, 16), float32: <= 2.0
- the digits CNN of module 09's milestone, 20 epochs with random shifts, the same loop in both libraries:
  <= 2.0 (and <= 60 s), with its accuracy on the test digits moved one pixel
Also printed: the forward alone, im2col's columns against the input (memory), the direct loop against
im2col, and module 19's FLOP count, throughput and per-operation profile of the digits CNN."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import machine_note, no_torch, optional_torch, per_call_seconds  # noqa: E402

import tinytorch as tt  # noqa: E402
import tinytorch.benchmarking as bm  # noqa: E402
from tinytorch.setup import speed_ratio  # noqa: E402

torch = optional_torch()

ROUNDS = dict(rounds=9, min_time=0.05)


def conv_step(lib, forward_only: bool = False):
    "A function running Conv2d(16, 32, 3, padding=1) forward (and backward) on (32, 16, 16, 16) in `lib`."
    data = np.random.default_rng(0)
    x = lib.from_numpy(data.standard_normal((32, 16, 16, 16)).astype(np.float32))
    x.requires_grad = True
    grad = lib.from_numpy(data.standard_normal((32, 32, 16, 16)).astype(np.float32))
    lib.manual_seed(0)
    layer = lib.nn.Conv2d(16, 32, 3, padding=1)

    def step():
        x.grad = layer.weight.grad = layer.bias.grad = None
        out = layer(x)
        if not forward_only:
            out.backward(grad)
    return step


def pool_step(lib):
    "A function running 2x2 max pooling forward and backward on (32, 32, 16, 16) in `lib`."
    data = np.random.default_rng(1)
    x = lib.from_numpy(data.standard_normal((32, 32, 16, 16)).astype(np.float32))
    x.requires_grad = True
    grad = lib.from_numpy(data.standard_normal((32, 32, 8, 8)).astype(np.float32))

    def step():
        x.grad = None
        lib.nn.functional.max_pool2d(x, 2).backward(grad)
    return step


def against_torch() -> None:
    for what, ours, theirs, target in (
            ("Conv2d 16->32 3x3 pad 1, (32, 16, 16, 16), forward + backward", conv_step(tt), conv_step(torch), 2.0),
            ("Conv2d forward only", conv_step(tt, True), conv_step(torch, True), None),
            ("max_pool2d 2x2, (32, 32, 16, 16), forward + backward", pool_step(tt), pool_step(torch), 2.0)):
        ratio = speed_ratio(ours, theirs, **ROUNDS)
        ms = per_call_seconds(ours) * 1e3
        verdict = "" if target is None else (" (target <= %.1f: %s)" % (target, "met" if ratio <= target else "MISSED"))
        print(f"{what}: tinytorch {ms:.2f} ms per call, {ratio:.2f}x PyTorch{verdict}")


def loop_and_memory() -> None:
    data = np.random.default_rng(2)
    x = data.standard_normal((8, 3, 32, 32)).astype(np.float32)
    w, b = data.standard_normal((8, 3, 3, 3)).astype(np.float32), np.zeros(8, np.float32)
    geo = tt.spatial.ConvGeometry(x.shape, w.shape, padding=1)
    ratio = speed_ratio(lambda: tt.spatial.conv2d_loop(x, w, b, padding=1),
                        lambda: tt.spatial._conv2d_forward(x, w, b, geo), rounds=5, min_time=0.05)
    print(f"direct loop / im2col forward, (8, 3, 32, 32) -> 8 channels 3x3: {ratio:.0f}x")
    big = data.standard_normal((32, 16, 16, 16)).astype(np.float32)
    for size in (3, 5, 7):
        geo = tt.spatial.ConvGeometry(big.shape, (32, 16, size, size), padding=size // 2)
        with bm.MemoryTracker() as tracker:
            cols = tt.spatial._columns(big, geo)
        print(f"im2col columns for a {size}x{size} kernel: {cols.nbytes / big.nbytes:.0f}x the input "
              f"({cols.nbytes / 2**20:.1f} MiB; MemoryTracker peak {tracker.peak_bytes / 2**20:.1f} MiB)")


def digits_cnn() -> None:
    "Module 19's tools on the CNN of module 09's milestone, on a batch of 64 digits."
    tt.manual_seed(0)
    model = tt.nn.Sequential(tt.nn.Conv2d(1, 16, 3, padding=1), tt.nn.ReLU(), tt.nn.MaxPool2d(2),
                             tt.nn.Conv2d(16, 32, 3, padding=1), tt.nn.ReLU(), tt.nn.MaxPool2d(2), tt.nn.Flatten(),
                             tt.nn.Linear(128, 10))
    images, labels = tt.load_digits()
    x, y = tt.tensor(images[:64].reshape(-1, 1, 8, 8)), tt.tensor(labels[:64])
    report = bm.count_flops(model, x)
    print(report)
    loss_fn = tt.nn.CrossEntropyLoss()

    def step():
        model.zero_grad()
        loss_fn(model(x), y).backward()
    seconds = per_call_seconds(step)
    print(f"one training step (forward + backward) of 64 digits: {seconds * 1e3:.2f} ms, "
          f"{report.training / seconds / 1e9:.2f} GFLOP/s")
    with bm.Profiler() as profiler:
        for _ in range(20):
            step()
    profiler.print_top_operations(8)


def train_digits_cnn(lib, epochs: int = 20, batch: int = 64) -> tuple[float, float]:
    """Module 09's milestone as a plain PyTorch-style loop in `lib`: the CNN trained with Adam (lr 3e-3) on the
    training digits moved by random -1/0/1 pixels each epoch (the same NumPy shifts for both libraries).
    Returns (seconds, accuracy on the test digits moved one pixel right)."""
    import time

    images, labels = tt.load_digits()
    order = np.random.default_rng(0).permutation(len(images))
    images, labels = images[order].reshape(-1, 1, 8, 8), labels[order]
    train_x, test_x, train_y, test_y = images[:1438], images[1438:], labels[:1438], labels[1438:]
    moved = np.zeros_like(test_x)
    moved[..., 1:] = test_x[..., :-1]
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Conv2d(1, 16, 3, padding=1), lib.nn.ReLU(), lib.nn.MaxPool2d(2),
                              lib.nn.Conv2d(16, 32, 3, padding=1), lib.nn.ReLU(), lib.nn.MaxPool2d(2), lib.nn.Flatten(),
                              lib.nn.Linear(128, 10))
    optimizer = lib.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = lib.nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    padded = np.pad(train_x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    start = time.perf_counter()
    for _ in range(epochs):
        dy, dx = rng.integers(-1, 2, size=(2, len(train_x)))  # a shift per image, applied with one indexing call
        rows = (np.arange(8)[None, :] + 1 - dy[:, None])[:, None, :, None]
        cols = (np.arange(8)[None, :] + 1 - dx[:, None])[:, None, None, :]
        shifted = padded[np.arange(len(train_x))[:, None, None, None], np.zeros((1, 1, 1, 1), int), rows, cols]
        for first in range(0, len(train_x), batch):
            rows_b = slice(first, first + batch)
            optimizer.zero_grad()
            loss = loss_fn(model(lib.from_numpy(np.ascontiguousarray(shifted[rows_b]))), lib.from_numpy(train_y[rows_b]))
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    with lib.no_grad():
        predicted = model(lib.from_numpy(moved)).numpy().argmax(axis=1)
    return seconds, float((predicted == test_y).mean())


def milestone_against_torch() -> None:
    ours, theirs = train_digits_cnn(tt), train_digits_cnn(torch)
    print(f"digits CNN, 20 epochs with random shifts: tinytorch {ours[0]:.1f} s ({ours[1]:.1%} on moved test digits), "
          f"PyTorch {theirs[0]:.1f} s ({theirs[1]:.1%}): {ours[0] / theirs[0]:.2f}x (target <= 2.0, and <= 60 s)")


def main() -> None:
    print(machine_note())
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        loop_and_memory()
        digits_cnn()
        if torch is None:
            print("\n" + no_torch("no side-by-side ratios"))
            return
        torch.set_num_threads(1)
        print(f"\nPyTorch {torch.__version__}; NumPy's BLAS and PyTorch both limited to 1 thread")
        against_torch()
        milestone_against_torch()


if __name__ == "__main__":
    main()
