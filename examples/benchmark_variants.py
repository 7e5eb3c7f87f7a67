"""Benchmark the optimised versions of the digits CNN (modules 15, 17, 18) against it, and profile a GPT training loop.

    python examples/benchmark_variants.py                  # writes reports/variants.md, .html, .png and gpt_profile.txt
    python examples/benchmark_variants.py --quick          # CI-sized: fewer epochs, samples and steps (~20 s)
    python examples/benchmark_variants.py --out somewhere/

The seed's example of module 19, on the course's models: module 09's digits CNN (6,090 parameters) trained
deterministically with Adam, then four variants measured by `benchmark_variants` on the 359 test digits:

  baseline     the trained CNN (float32)
  quantized    17's quantize_model: int8 weights per channel, dequantised in each forward
  pruned       structured pruning (prune_channels): half of each convolution's output channels removed (the
               smallest by L2 norm) and the layers shrunk, then fine-tuned (5 epochs); dense and smaller, so BLAS does less
               work. Unstructured sparsity would store fewer bytes in CSR but run no faster on dense BLAS (18).
  accelerated  15's accelerate: channels-last convolution, tiled max pooling, pooling moved before ReLU

Each variant's speed-up is timed side by side with the baseline (alternating paired rounds, so the machine's load
hits both alike), weights are counted in bytes as stored, and peak memory is tracemalloc's peak of a forward pass.
With module 16 in the library, a fifth row: 14's GPT (4 layers, 128 wide) generating 64 ids greedily without
and with 16's KV cache, the same ids checked, in reports/generation.md, .html, .png. Then 19's Profiler on a GPT (14) trained on Tiny Shakespeare windows from a DataLoader (10, 12): the top operations
with the products, the attention and the data loading as separate rows.

BLAS runs on one thread (threadpoolctl, when installed) so that ratios do not depend on a second busy core."""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's reference tinytorch
import tinytorch as tt  # noqa: E402
from tinytorch.benchmarking import benchmark_variants, cnn_variants, digits_cnn, digits_images, profile_training, train_classifier  # noqa: E402
from tinytorch.data import DataLoader, Generator  # noqa: E402
from tinytorch.embeddings import TokenWindows, next_token_loss  # noqa: E402
from tinytorch.text import CharTokenizer  # noqa: E402
from tinytorch.transformer import GPT, GPTConfig  # noqa: E402


def one_blas_thread() -> contextlib.AbstractContextManager:
    "BLAS limited to one thread if threadpoolctl is installed, else nothing changes."
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def cnn_report(args: argparse.Namespace) -> str:
    X_train, X_test, y_train, y_test = digits_images(seed=0)
    tt.manual_seed(0)
    model = train_classifier(digits_cnn(), X_train, y_train, epochs=args.epochs)
    models = cnn_variants(model, X_train, y_train, keep=0.5, finetune_epochs=args.finetune_epochs)
    report = benchmark_variants(models, X_test, y_test, samples=args.samples)
    paths = report.write(args.out, "variants", "Digits CNN: baseline, quantized, pruned, accelerated")
    for name, ratio in report.ratios.items():
        print(f"{name}: {ratio.speedup.verdict}")
    print("wrote " + ", ".join(str(p) for p in paths))
    return report.table()


class Generation(tt.nn.Module):
    """A GPT generating `new_tokens` ids after its input, greedily (top_k=1, so with and without the cache it must
    draw the same ids), with or without module 16's KV cache (`generate(..., use_cache=True)`)."""

    def __init__(self, model: GPT, new_tokens: int, use_cache: bool):
        self.model, self.new_tokens, self.use_cache = model, new_tokens, use_cache

    def forward(self, ids: tt.Tensor) -> tt.Tensor:
        return self.model.generate(ids, self.new_tokens, top_k=1, use_cache=self.use_cache)


def generation_report(args: argparse.Namespace) -> str:
    """The `cached` variant: 14's GPT generating with and without 16's KV cache, the same ids checked (atol=0).
    Skipped, with a message, when module 16 (tinytorch.caching) is not in the library."""
    try:
        import tinytorch.caching  # noqa: F401  (installs GPT.generate(..., use_cache=...))
    except ImportError:
        return "no 'cached' variant: module 16 (tinytorch.caching, the KV cache) is not in this library"
    tt.manual_seed(0)
    model = GPT(GPTConfig()).eval() if not args.quick else GPT(GPTConfig(n_layer=2, n_embd=64)).eval()
    prompt = np.random.default_rng(0).integers(0, model.config.vocab_size, (1, 8))
    models = {"baseline": Generation(model, args.new_tokens, use_cache=False),
              "cached": Generation(model, args.new_tokens, use_cache=True)}
    report = benchmark_variants(models, prompt, atol=0, samples=args.generation_samples, repeats=1)
    paths = report.write(args.out, "generation", f"GPT generation of {args.new_tokens} ids: without and with the KV cache")
    print(f"cached: {report.ratios['cached'].speedup.verdict}")
    print("wrote " + ", ".join(str(p) for p in paths))
    return report.table()


def gpt_profile(args: argparse.Namespace) -> str:
    text = tt.load_tinyshakespeare()[: args.characters]
    tokenizer = CharTokenizer(text)
    ids = np.asarray(tokenizer.encode(text), dtype=np.int64)
    config = GPTConfig(vocab_size=tokenizer.vocab_size, block_size=32, n_layer=2, n_head=4, n_embd=64)
    tt.manual_seed(0)
    loader = DataLoader(TokenWindows(ids, config.block_size), batch_size=16, shuffle=True,
                        generator=Generator().manual_seed(0))
    profiler = profile_training(GPT(config), loader, next_token_loss, steps=args.steps)
    loading = next(op for op in profiler.operations() if op.name == "DataLoader")
    return (profiler.top_operations(12) + f"\nDataLoader (its own row): {loading.calls} batches, "
            f"{loading.self_time * 1e3:.1f} ms, {loading.share:.1%} of the profiled time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("reports"), help="folder for the reports (created)")
    parser.add_argument("--quick", action="store_true", help="CI-sized run: fewer epochs, samples and steps")
    args = parser.parse_args()
    args.epochs, args.finetune_epochs, args.samples = (4, 1, 5) if args.quick else (10, 5, 15)
    args.steps, args.characters = (10, 20_000) if args.quick else (40, 200_000)
    args.new_tokens, args.generation_samples = (24, 3) if args.quick else (64, 7)
    print(f"load average {os.getloadavg()[0]:.1f}; BLAS on one thread")
    with one_blas_thread():
        table = cnn_report(args)
        print(table)
        generation = generation_report(args)
        print(generation)
        profile = gpt_profile(args)
    print(f"\nGPT training, {args.steps} steps, top operations:\n{profile}")
    (args.out / "gpt_profile.txt").write_text(profile + "\n", encoding="utf-8")
    (args.out / "variants.txt").write_text(table + "\n\n" + generation + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
