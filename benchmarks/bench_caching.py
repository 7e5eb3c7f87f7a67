"""Module 16's KV cache: generation with `use_cache=True` against module 14's generate, side by side on the same
model, prompt, seed and thread count.

    .venv/bin/python benchmarks/bench_caching.py [--new-tokens 256] [--rounds 3]

Goal (issue 16): KV-cached generation of 256 new tokens from a model shaped like 14's example model (4 layers,
4 heads, 128 wide) at least 5x faster than without the cache, with identical tokens. 14's model has
block_size 64; the benchmark uses block_size 320 so that the 64-id prompt and all 256 new tokens fit (past
block_size the window slides and the cache must be refilled at every step: see the notebook). Random weights
(GPT-2's initialisation, seed 0): the time does not depend on the values. Ratios are medians of interleaved
rounds (load hits both sides alike), with the wall clock and with the thread's CPU time; one BLAS thread.
Also printed: one step at several lengths, uncached / cached, the cache's memory, the memoised tables."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))
from common import machine_note, wall_and_cpu_ratio  # noqa: E402

import tinytorch as tt  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402
from tinytorch.attention import attention_mask  # noqa: E402
from tinytorch.caching import KVCache, cache_nbytes, causal_mask, forward_cached, sinusoidal_table  # noqa: E402
from tinytorch.embeddings import sinusoidal_positions  # noqa: E402
from tinytorch.transformer import GPT, GPTConfig  # noqa: E402


def model_like_14(block_size: int) -> GPT:
    "14's example model (4 layers, 4 heads, 128 wide, 65 characters) with a longer block_size, seed 0."
    tt.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=65, block_size=block_size, n_layer=4, n_head=4, n_embd=128))
    return model.eval()


def ratio_line(what: str, candidate, baseline, rounds: int, min_time: float = 0.02) -> None:
    "Print candidate / baseline time, wall clock and CPU time, interleaved."
    print(f"{what}: {wall_and_cpu_ratio(candidate, baseline, rounds=rounds, min_time=min_time, budget=1e9)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-tokens", type=int, default=256)
    parser.add_argument("--prompt", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(machine_note())
    print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}")
    block_size = args.prompt + args.new_tokens
    model = model_like_14(block_size)
    prompt = np.random.default_rng(1).integers(0, 65, (1, args.prompt))
    with threadpool_limits(limits=1, user_api="blas"):
        plain = model.generate(prompt, args.new_tokens, generator=0).numpy()
        cached = model.generate(prompt, args.new_tokens, generator=0, use_cache=True).numpy()
        print(f"{args.new_tokens} new tokens after {args.prompt}, block_size {block_size}: identical ids with and without "
              f"the cache: {bool(np.array_equal(plain, cached))}")
        ratio_line(f"generate {args.new_tokens} tokens, uncached / cached (goal >= 5)",
                   lambda: model.generate(prompt, args.new_tokens, generator=0),
                   lambda: model.generate(prompt, args.new_tokens, generator=0, use_cache=True), args.rounds, min_time=0.5)
        ids = np.random.default_rng(2).integers(0, 65, (1, block_size))
        with tt.no_grad():
            for t in sorted({length for length in (32, 128) if length < block_size - 1} | {block_size - 1}):  # fit the block
                cache = KVCache.for_model(model)
                forward_cached(model, ids[:, :t], cache)

                def step(t=t, cache=cache):
                    cache.lengths = [t] * len(cache.lengths)
                    return forward_cached(model, ids[:, t:t + 1], cache)
                ratio_line(f"one step after {t} positions, uncached / cached", lambda t=t: model(ids[:, :t + 1]), step, 5)
    c = model.config
    size = cache_nbytes(c.n_layer, c.n_head, block_size, c.n_embd // c.n_head)
    weights = sum(p.data.nbytes for p in model.parameters())
    print(f"cache for {block_size} positions: {size:,} B (KVCache.nbytes {KVCache.for_model(model).nbytes:,} B); "
          f"weights {weights:,} B; cache / weights {size / weights:.3f}")
    ratio_line("256x256 causal mask, built / memoised", lambda: attention_mask(256, 256, None, True, np.float32),
               lambda: causal_mask(256, 256, np.float32), 5)
    ratio_line("256x128 sinusoidal table, built / memoised", lambda: sinusoidal_positions(256, 128),
               lambda: sinusoidal_table(256, 128), 5)


if __name__ == "__main__":
    main()
