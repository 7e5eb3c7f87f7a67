"""Module 17's int8 digits CNN against the float32 one, and what int8 speeds up in NumPy, side by side.

    .venv/bin/python benchmarks/bench_precision.py        (PyTorch's dynamic int8 Linear: pip install -r requirements-torch.txt)

Targets (issue 16), on module 09's digits CNN (6,090 parameters, trained 10 epochs with Adam on the digits):
- int8 weights (per tensor, symmetric) at least 3.9x smaller than float32's, counted in bytes
- at most 0.5 point of test accuracy lost
Also printed, as time ratios (interleaved rounds, median of the per-round ratios, one BLAS thread): the int8 CNN's
forward (weights dequantised on the fly) against the float32 forward; an int8 matrix product with int32 sums against
the float32 BLAS product; copying int8 against float32 arrays of the same length (memory bandwidth); and, with torch,
PyTorch's dynamically quantised int8 Linear against its float32 Linear on a matrix-vector product, where int8 kernels
do pay. Module 19's measured machine limits put the two kinds of operation on the roofline."""
from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import machine_note, no_torch, optional_torch  # noqa: E402

import tinytorch as tt  # noqa: E402
import tinytorch.benchmarking as bm  # noqa: E402
import tinytorch.quantization as tq  # noqa: E402
from tinytorch.setup import speed_ratio  # noqa: E402

torch = optional_torch()


def digits_cnn() -> tuple[tt.nn.Module, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    "Module 09's CNN trained 10 epochs on the digits as they are, and the data split."
    X, y = tt.load_digits()
    X_train, X_test, y_train, y_test = tt.train_test_split(X.reshape(-1, 1, 8, 8), y, test_size=0.2, seed=0)
    tt.manual_seed(0)
    cnn = tt.nn.Sequential(tt.nn.Conv2d(1, 16, 3, padding=1), tt.nn.ReLU(), tt.nn.MaxPool2d(2),
                           tt.nn.Conv2d(16, 32, 3, padding=1), tt.nn.ReLU(), tt.nn.MaxPool2d(2), tt.nn.Flatten(),
                           tt.nn.Linear(128, 10))
    tt.Trainer(cnn, tt.nn.CrossEntropyLoss(), tt.optim.Adam(cnn.parameters(), lr=3e-3), seed=0).fit(
        X_train, y_train, epochs=10, batch_size=64, progress=False)
    return cnn.eval(), X_train, X_test, y_train, y_test


def accuracy(model: tt.nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    with tt.no_grad():
        return float((model(tt.tensor(X)).data.argmax(axis=1) == y).mean())


def main() -> None:
    print(machine_note())
    with threadpool_limits(limits=1, user_api="blas"):
        cnn, X_train, X_test, y_train, y_test = digits_cnn()
        base_bytes, base_accuracy = tq.model_nbytes(cnn, biases=False), accuracy(cnn, X_test, y_test)
        variants = {
            "int8 per tensor": tq.quantize_model(cnn, per_channel=False),
            "int8 per channel": tq.quantize_model(cnn, per_channel=True),
            "int8 per channel, int8 inputs": tq.quantize_model(cnn, calibration_data=X_train[:200]),
        }
        inputs = tt.tensor(X_test)
        print(f"\n{'model':<32}{'weight bytes':>13}{'smaller':>9}{'accuracy':>10}{'change':>9}{'forward time':>14}")
        print(f"{'float32':<32}{base_bytes:>13,}{'1.00x':>9}{base_accuracy:>10.2%}{'':>9}{'1.00x':>14}")
        results = {}
        for name, model in variants.items():
            with tt.no_grad():
                slower = speed_ratio(lambda: model(inputs), lambda: cnn(inputs), rounds=9, min_time=0.02)
            smaller, score = base_bytes / tq.model_nbytes(model, biases=False), accuracy(model, X_test, y_test)
            results[name] = (smaller, score)
            print(f"{name:<32}{tq.model_nbytes(model, biases=False):>13,}{smaller:>8.2f}x{score:>10.2%}"
                  f"{100 * (score - base_accuracy):>+8.2f}{slower:>13.2f}x")
        smaller, score = results["int8 per tensor"]
        print(f"\ntarget: int8 weights >= 3.9x smaller: {smaller:.2f}x {'met' if smaller >= 3.9 else 'MISSED'}; "
              f"accuracy drop <= 0.5 point: {100 * (base_accuracy - score):.2f} {'met' if base_accuracy - score <= 0.005 else 'MISSED'}")

        rng = np.random.default_rng(0)
        print("\nwhat int8 speeds up in NumPy (time ratios, > 1 means the int8 side is slower):")
        for n in (128, 512):
            a8, b8 = (rng.integers(-127, 128, (n, n), dtype=np.int8) for _ in range(2))
            a32, b32 = a8.astype(np.float32), b8.astype(np.float32)
            ratio = speed_ratio(lambda: a8.astype(np.int32) @ b8.astype(np.int32), lambda: a32 @ b32, min_time=0.02)
            print(f"  int8 matmul (int32 sums) / float32 BLAS matmul, {n}x{n}: {ratio:.1f}x")
        for count in (1_000_000, 64_000_000):
            floats, codes = np.ones(count, np.float32), np.ones(count, np.int8)
            float_out, code_out = np.empty_like(floats), np.empty_like(codes)
            ratio = speed_ratio(lambda: np.copyto(float_out, floats), lambda: np.copyto(code_out, codes), min_time=0.02)
            print(f"  copying {count:,} float32 / {count:,} int8 (4x the bytes): {ratio:.2f}x")
            del floats, codes, float_out, code_out

    peak, bandwidth = bm.peak_gflops(), bm.memory_bandwidth()["triad"]
    print(f"\nroofline (module 19): peak {peak:.1f} GFLOP/s (float32 BLAS), bandwidth {bandwidth:.1f} GB/s (triad), "
          f"ridge point {peak / bandwidth:.1f} FLOP/byte")
    print("  a 256x256 matmul does ~85 FLOP per float32 byte (right of the ridge, compute-bound: int8 storage cannot help "
          "without int8 arithmetic); a matrix-vector product does 0.5 FLOP per float32 byte and 2 per int8 byte (left of "
          "the ridge, bandwidth-bound: int8 weights can make it up to 4x faster, with a kernel that reads them directly)")

    if torch is None:
        print("\n" + no_torch("skipping its dynamic int8 Linear"))
        return
    torch.set_num_threads(1)
    layer = torch.nn.Linear(4096, 4096)
    with warnings.catch_warnings():  # torch.ao.quantization is deprecated in favour of torchao, which is not installed
        warnings.simplefilter("ignore")
        int8_layer = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(layer), {torch.nn.Linear}, dtype=torch.qint8)
    x = torch.randn(1, 4096)
    with torch.no_grad():
        ratio = speed_ratio(lambda: layer(x), lambda: int8_layer(x), min_time=0.02)
    print(f"\nPyTorch {torch.__version__}: float32 Linear(4096, 4096) / dynamic int8 Linear on one vector: {ratio:.2f}x "
          "(> 1: int8 faster; weights 64 MB vs 16 MB, bandwidth-bound)")


if __name__ == "__main__":
    main()
