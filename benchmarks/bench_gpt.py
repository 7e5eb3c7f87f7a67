"""examples/train_gpt.py's GPT against PyTorch on the same machine, threads, model and batch, side by side.

    .venv/bin/python benchmarks/bench_gpt.py                 (PyTorch: pip install -r requirements-torch.txt)
    .venv/bin/python benchmarks/bench_gpt.py --threads 2 --steps 100 --profile

Targets (issue 15), as time ratios tinytorch / PyTorch (lower is faster), with the same number of threads for
NumPy's BLAS and PyTorch (--threads, 1 by default: on a shared 2-core machine one thread each is what both get):
- one training step of the example's model (4 layers, 128 wide, 4 heads, block 64, 65 characters) on its batch
  (12 windows): forward, loss, backward, gradient clipping, AdamW: <= 1.5 (interleaved rounds, median of the
  per-round ratios, so machine load hits both alike);
- the example end to end for --steps steps (data, model, training, evaluation, checkpoint, loss curve, a
  500-character sample): <= 1.5 (wall times of the two runs, alternated --repeats times, median ratio).
Also printed: forward alone and forward + backward (no optimizer), and with --profile module 19's Profiler
table of tinytorch's training step (where its time goes)."""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "examples"))
from common import machine_note, per_call_seconds  # noqa: E402

import tinytorch as tt  # noqa: E402
import tinytorch.benchmarking as bm  # noqa: E402
from tinytorch.setup import speed_ratio  # noqa: E402
from tinytorch.text import load_tinyshakespeare  # noqa: E402
import train_gpt  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

ROUNDS = dict(rounds=7, min_time=0.2, budget=120.0)


def training_data() -> np.ndarray:
    "Tiny Shakespeare as the example's character ids."
    text = load_tinyshakespeare()
    stoi = {c: i for i, c in enumerate(sorted(set(text)))}
    return np.array([stoi[c] for c in text], dtype=np.uint8)


def step_functions(lib, data: np.ndarray, args: argparse.Namespace) -> dict:
    "The example's model, optimizer and one batch in `lib`; functions for its forward, forward+backward, step."
    defaults = train_gpt.parse_args([])
    config = train_gpt.GPTConfig()
    lib.manual_seed(0)
    model = train_gpt.build_model(lib, config)
    optimizer = train_gpt.configure_optimizer(lib, model, defaults.lr, defaults.weight_decay)
    x, y = train_gpt.get_batch(lib, data, defaults.batch_size, config.block_size, np.random.default_rng(0))

    def forward():
        with lib.no_grad():
            model(x, y)

    def forward_backward():
        model.zero_grad()
        model(x, y)[1].backward()

    def step():
        _, loss = model(x, y)
        optimizer.zero_grad()
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), defaults.grad_clip)
        optimizer.step()
    return {"forward": forward, "forward + backward": forward_backward, "training step": step}


def step_ratios(data: np.ndarray, args: argparse.Namespace) -> None:
    ours, theirs = step_functions(tt, data, args), step_functions(torch, data, args)
    for what in ours:
        ratio = speed_ratio(ours[what], theirs[what], **ROUNDS)
        ms = per_call_seconds(ours[what], repeats=5) * 1e3
        verdict = " (target <= 1.5: %s)" % ("met" if ratio <= 1.5 else "MISSED") if what == "training step" else ""
        print(f"{what}: tinytorch {ms:.1f} ms per call, {ratio:.2f}x PyTorch{verdict}", flush=True)


def end_to_end(args: argparse.Namespace) -> None:
    "Wall time of the example for --steps steps under each library, alternated; the median ratio."
    print(f"\nexamples/train_gpt.py end to end, --max-steps {args.steps} (defaults otherwise), "
          f"{args.repeats} alternated runs each:", flush=True)
    seconds: dict[str, list[float]] = {"tinytorch": [], "torch": []}
    summaries = {}
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(args.repeats):
            for lib in (tt, torch):
                argv = ["--max-steps", str(args.steps), "--minutes", "1000", "--log-interval", str(10 ** 9),
                        "--out", str(Path(folder) / f"{lib.__name__}{repeat}")]
                start = time.perf_counter()
                summaries[lib.__name__] = train_gpt.train(lib, train_gpt.parse_args(argv))
                seconds[lib.__name__].append(time.perf_counter() - start)
    ratios = [a / b for a, b in zip(seconds["tinytorch"], seconds["torch"])]
    for name, times in seconds.items():
        s = summaries[name]
        print(f"  {name}: {', '.join(f'{t:.1f}' for t in times)} s; training {s['steps_per_s']:.2f} steps/s, "
              f"validation loss {s['val_loss']:.4f} after {s['steps']} steps")
    ratio = statistics.median(ratios)
    print(f"  tinytorch / PyTorch wall time: {ratio:.2f}x (per run: {', '.join(f'{r:.2f}' for r in ratios)}; "
          f"target <= 1.5: {'met' if ratio <= 1.5 else 'MISSED'})")


def profile(data: np.ndarray, args: argparse.Namespace) -> None:
    "Module 19's Profiler over tinytorch's training steps: the operations' share of the time."
    step = step_functions(tt, data, args)["training step"]
    step()
    with bm.Profiler() as profiler:
        for _ in range(5):
            step()
    print("\nwhere tinytorch's training step goes (module 19's Profiler, 5 steps):")
    profiler.print_top_operations(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (NumPy) and PyTorch threads")
    parser.add_argument("--steps", type=int, default=50, help="training steps of the end-to-end runs (0: skip)")
    parser.add_argument("--repeats", type=int, default=2, help="end-to-end runs per library")
    parser.add_argument("--profile", action="store_true", help="print the Profiler table of tinytorch's step")
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    print(machine_note())
    data = training_data()
    with threadpool_limits(limits=args.threads):
        if torch is None:
            print("PyTorch not installed: pip install -r requirements-torch.txt for the comparison")
        else:
            torch.set_num_threads(args.threads)
            print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s); NumPy's BLAS limited to "
                  f"{args.threads}", flush=True)
            step_ratios(data, args)
            if args.steps:
                end_to_end(args)
        if args.profile:
            profile(data, args)


if __name__ == "__main__":
    main()
