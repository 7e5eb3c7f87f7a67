"""Module 13's attention against PyTorch on the same machine, threads and data, side by side.

    .venv/bin/python benchmarks/bench_attention.py        (PyTorch: pip install -r requirements-torch.txt)

Target (issue 15), as a time ratio tinytorch / PyTorch (lower is faster; interleaved rounds, median of the
per-round ratios, so machine load hits both alike; one thread each, BLAS and PyTorch alike):
- scaled_dot_product_attention forward + backward, batch 8, 4 heads, T=128, head dim 32, float32, causal,
  against PyTorch's math path (torch.nn.attention.sdpa_kernel(SDPBackend.MATH)): <= 1.5
Also printed: the same without a mask and forward only; nn.MultiheadAttention(128, 4) forward + backward against
PyTorch's; and how time (module 19's Timer) and peak memory (module 19's MemoryTracker) grow with the sequence
length, with module 19's count_flops of a MultiheadAttention layer."""
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

torch = optional_torch("nn.attention")

ROUNDS = dict(rounds=9, min_time=0.05)
SHAPE = (8, 4, 128, 32)  # batch, heads, T, head dim


def sdpa_step(lib, causal: bool = True, backward: bool = True):
    "A function running scaled_dot_product_attention (forward, and backward) on SHAPE float32 in `lib`."
    data = np.random.default_rng(0)
    q, k, v, grad = (lib.from_numpy(data.standard_normal(SHAPE).astype(np.float32)) for _ in range(4))
    for x in (q, k, v):
        x.requires_grad = backward

    def step():
        q.grad = k.grad = v.grad = None
        out = lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
        if backward:
            out.backward(grad)
    if lib is tt:
        return step

    def math_path():
        with torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.MATH):
            step()
    return math_path


def mha_step(lib):
    "A function running MultiheadAttention(128, 4) self-attention forward and backward on (8, 128, 128) float32."
    data = np.random.default_rng(1)
    x = lib.from_numpy(data.standard_normal((8, 128, 128)).astype(np.float32))
    grad = lib.from_numpy(data.standard_normal((8, 128, 128)).astype(np.float32))
    lib.manual_seed(0)
    layer = lib.nn.MultiheadAttention(128, 4, batch_first=True)
    causal = lib.from_numpy(np.triu(np.ones((128, 128), bool), 1))

    def step():
        layer.zero_grad()
        out, _ = layer(x, x, x, attn_mask=causal.numpy() if lib is tt else causal, need_weights=False)
        out.backward(grad)
    return step


def against_torch() -> None:
    for what, ours, theirs, target in (
            ("scaled_dot_product_attention (8, 4, 128, 32) causal, forward + backward", sdpa_step(tt), sdpa_step(torch), 1.5),
            ("the same without a mask", sdpa_step(tt, causal=False), sdpa_step(torch, causal=False), None),
            ("the same, forward only", sdpa_step(tt, backward=False), sdpa_step(torch, backward=False), None),
            ("MultiheadAttention(128, 4) on (8, 128, 128), causal, forward + backward", mha_step(tt), mha_step(torch), None)):
        ratio = speed_ratio(ours, theirs, **ROUNDS)
        ms = per_call_seconds(ours) * 1e3
        verdict = "" if target is None else (" (target <= %.1f: %s)" % (target, "met" if ratio <= target else "MISSED"))
        print(f"{what}: tinytorch {ms:.2f} ms per call, {ratio:.2f}x PyTorch (math path){verdict}")


class SelfAttention(tt.nn.Module):
    "count_flops calls a model with one input: MultiheadAttention's self-attention of it."

    def __init__(self, embed_dim: int, num_heads: int):
        self.attention = tt.nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)

    def forward(self, x):
        return self.attention(x, x, x, need_weights=False)[0]


def scaling() -> None:
    "Time (Timer) and peak memory (MemoryTracker) of attention forward + backward against the sequence length."
    print("\nscaled_dot_product_attention, causal, 4 heads of 32, one sequence: time and memory against T")
    print(f"{'T':>6}{'ms (median)':>14}{'peak MB':>10}")
    previous = None
    for T in (128, 256, 512, 1024):
        data = np.random.default_rng(T)
        q, k, v = (tt.tensor(data.standard_normal((1, 4, T, 32)).astype(np.float32), requires_grad=True) for _ in range(3))

        def step():
            tt.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True).sum().backward()
        timing = bm.Timer(step).measure()
        with bm.MemoryTracker() as memory:
            step()
        ms, mb = timing.median * 1e3, memory.peak_bytes / 1e6
        growth = "" if previous is None else f"   x{ms / previous[0]:.1f} time, x{mb / previous[1]:.1f} memory"
        print(f"{T:>6}{ms:>14.2f}{mb:>10.2f}{growth}")
        previous = (ms, mb)
    tt.manual_seed(0)
    print("\nmodule 19's count_flops of MultiheadAttention(64, 4) self-attention on (1, 256, 64):")
    print(bm.count_flops(SelfAttention(64, 4), tt.tensor(np.zeros((1, 256, 64), np.float32))))


def main() -> None:
    print(machine_note())
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1):
        if torch is None:
            print(no_torch("no comparison"))
        else:
            torch.set_num_threads(1)
            print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread; NumPy's BLAS limited to 1 thread")
            against_torch()
        scaling()


if __name__ == "__main__":
    main()
