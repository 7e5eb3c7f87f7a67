"""Train a character-level GPT on Tiny Shakespeare: the transformers milestone, written as a PyTorch script.

    python examples/train_gpt.py                      # tinytorch: 4 layers, 128 wide, block 64, at most 15 minutes
    python examples/train_gpt.py --torch              # the same script with PyTorch (if installed)
    python examples/train_gpt.py --resume             # continue from the last checkpoint in --out
    python examples/train_gpt.py --max-steps 20 --eval-interval 10 --eval-iters 2   # a short run (CI)

Everything below the imports is plain PyTorch code; only the import line differs. Both libraries read
the same file (Tiny Shakespeare ships inside tinytorch, its checksum checked) and draw the same batches
(NumPy, seeded by --seed and the step number, so a resumed run sees the batches an unbroken run would).

The learning rate warms up, then follows a cosine down to a tenth of its peak. The schedule's progress is
the larger of step / --lr-decay-steps (--max-steps unless given) and elapsed time / --minutes: on a slow or
loaded machine the run still anneals and ends within the time budget (then after fewer steps). The run writes to --out: `ckpt.pt`
(model and optimizer state dicts, step, time, losses; written at each evaluation), `loss.png` (the loss
curve) and `log.txt` (this output, with the sample at the end).

On a machine whose cores are busy with other work, give both libraries one thread
(`OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python examples/train_gpt.py`): at a load average of 10 on two
cores, two BLAS threads made a tinytorch step 3.3x slower than one (they wait for each other)."""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's reference tinytorch
from tinytorch.text import load_tinyshakespeare


@dataclass
class GPTConfig:
    vocab_size: int = 65
    block_size: int = 64
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0


def build_model(torch, config: GPTConfig):
    "The GPT of `config`, built from `torch`'s nn (tinytorch or PyTorch): the classes are defined here, per library."
    nn, F = torch.nn, torch.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.n_head = config.n_head
            self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd)
            self.proj = nn.Linear(config.n_embd, config.n_embd)
            self.dropout = config.dropout

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.qkv(x).split(C, dim=2)
            q, k, v = (t.reshape(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0,
                                               is_causal=True)
            return self.proj(y.transpose(1, 2).contiguous().view(B, T, C))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(config.n_embd)
            self.attn = CausalSelfAttention()
            self.ln_2 = nn.LayerNorm(config.n_embd)
            self.mlp = nn.Sequential(nn.Linear(config.n_embd, 4 * config.n_embd), nn.GELU(approximate="tanh"),
                                     nn.Linear(4 * config.n_embd, config.n_embd), nn.Dropout(config.dropout))

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
            self.pos_emb = nn.Embedding(config.block_size, config.n_embd)
            self.drop = nn.Dropout(config.dropout)
            self.blocks = nn.ModuleList([Block() for _ in range(config.n_layer)])
            self.ln_f = nn.LayerNorm(config.n_embd)
            self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)

        def forward(self, idx, targets=None):
            B, T = idx.shape
            x = self.drop(self.tok_emb(idx) + self.pos_emb(torch.arange(T)))
            for block in self.blocks:
                x = block(x)
            logits = self.head(self.ln_f(x))
            if targets is None:
                return logits, None
            return logits, F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))

    return GPT()


def configure_optimizer(torch, model, lr: float, weight_decay: float):
    "AdamW that decays the matrices (weights, embeddings) and not the biases and LayerNorm gains."
    params = list(model.parameters())
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.99))


def learning_rate(step: int, progress: float, lr: float, warmup: int) -> float:
    "Linear warm-up over `warmup` steps, then a cosine from `lr` to lr / 10 as `progress` goes from 0 to 1."
    if step < warmup:
        return lr * (step + 1) / warmup
    return lr / 10 + 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))) * (lr - lr / 10)


def get_batch(torch, data: np.ndarray, batch_size: int, block_size: int, rng: np.random.Generator):
    "`batch_size` random windows of `data` (token ids) as inputs and next-token targets, (B, T) int64 tensors."
    starts = rng.integers(0, len(data) - block_size - 1, batch_size)
    windows = data[starts[:, None] + np.arange(block_size + 1)].astype(np.int64)
    return torch.from_numpy(windows[:, :-1].copy()), torch.from_numpy(windows[:, 1:].copy())


def estimate_loss(torch, model, batches) -> float:
    "The mean loss over fixed `batches`, in evaluation mode and without recording a graph."
    model.eval()
    with torch.no_grad():
        losses = [model(x, y)[1].item() for x, y in batches]
    model.train()
    return sum(losses) / len(losses)


def generate(torch, model, idx, new_tokens: int, block_size: int, temperature: float = 0.8, top_k: int | None = None):
    "Append `new_tokens` sampled ids to `idx` (B, T), each from the model's distribution over the last block."
    F = torch.nn.functional
    model.eval()
    with torch.no_grad():
        for _ in range(new_tokens):
            logits, _ = model(idx[:, -block_size:])
            logits = logits[:, -1, :] / temperature
            if top_k is not None:
                kth = torch.topk(logits, top_k).values[:, -1:]
                logits = logits.masked_fill(logits < kth, -float("inf"))
            next_id = torch.multinomial(F.softmax(logits, dim=-1), num_samples=1)
            idx = torch.cat((idx, next_id), dim=1)
    model.train()
    return idx


def plot_losses(history: dict, path: Path, title: str) -> None:
    "The training loss (a running mean over 50 steps) and the validation loss against the step, as a PNG."
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train = np.asarray(history["train"])
    window = min(50, len(train))
    smooth = np.convolve(train, np.ones(window) / window, mode="valid")
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(np.arange(len(train)), train, color="tab:blue", alpha=0.25, lw=0.8, label="train (per step)")
    ax.plot(np.arange(window - 1, len(train)), smooth, color="tab:blue", label=f"train (mean of {window})")
    ax.plot(history["val_step"], history["val"], "o-", color="tab:red", label="validation")
    ax.set(xlabel="step", ylabel="cross-entropy (nats/char)", title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


class Log:
    "print(), also appended to a file."

    def __init__(self, path: Path):
        self.path = path

    def __call__(self, *parts) -> None:
        line = " ".join(str(p) for p in parts)
        print(line, flush=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def train(torch, args) -> dict:
    """Train (or resume) the GPT on Tiny Shakespeare as `args` say; return a summary (final validation loss,
    steps, seconds, steps per second, the sample)."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = Log(out / "log.txt")
    text = load_tinyshakespeare()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = np.array([stoi[c] for c in text], dtype=np.uint8)
    n = int(0.9 * len(data))
    train_data, val_data = data[:n], data[n:]

    checkpoint_path = out / "ckpt.pt"
    checkpoint = torch.load(checkpoint_path) if args.resume else None
    if args.resume:
        config = GPTConfig(**checkpoint["config"])
    else:
        config = GPTConfig(vocab_size=len(chars), block_size=args.block_size, n_layer=args.n_layer,
                           n_head=args.n_head, n_embd=args.n_embd, dropout=args.dropout)
    torch.manual_seed(args.seed)
    model = build_model(torch, config)
    optimizer = configure_optimizer(torch, model, args.lr, args.weight_decay)
    step, elapsed, history = 0, 0.0, {"train": [], "val_step": [], "val": []}
    if checkpoint is not None:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        step, elapsed, history = checkpoint["step"], checkpoint["elapsed"], checkpoint["history"]
        log(f"resumed from {checkpoint_path} at step {step} ({elapsed:.0f} s trained)")
    n_params = sum(p.numel() for p in model.parameters())
    log(f"{torch.__name__}: {n_params:,} parameters, {config}, batch {args.batch_size}, "
        f"{len(train_data):,} training and {len(val_data):,} validation characters")

    val_rng = np.random.default_rng([args.seed, 1])
    val_batches = [get_batch(torch, val_data, args.eval_batch_size, config.block_size, val_rng)
                   for _ in range(args.eval_iters)]
    budget = 60 * args.minutes
    decay_steps = args.lr_decay_steps or args.max_steps

    def save_checkpoint() -> None:
        state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step,
                 "elapsed": elapsed, "history": history, "config": asdict(config), "vocab": "".join(chars)}
        torch.save(state, out / "ckpt.tmp")
        os.replace(out / "ckpt.tmp", checkpoint_path)

    def evaluate() -> float:
        loss = estimate_loss(torch, model, val_batches)
        history["val_step"].append(step)
        history["val"].append(loss)
        return loss

    start = time.perf_counter() - elapsed
    steps_this_run, run_start = 0, time.perf_counter()
    if step == 0:
        log(f"step 0: validation loss {evaluate():.4f}")
    while step < args.max_steps and elapsed < budget:
        lr = learning_rate(step, max(step / decay_steps, elapsed / budget), args.lr, args.warmup)
        for group in optimizer.param_groups:
            group["lr"] = lr
        x, y = get_batch(torch, train_data, args.batch_size, config.block_size,
                         np.random.default_rng([args.seed, 0, step]))
        _, loss = model(x, y)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
        optimizer.step()
        history["train"].append(loss.item())
        step += 1
        steps_this_run += 1
        elapsed = time.perf_counter() - start
        if step % args.log_interval == 0:
            rate = steps_this_run / (time.perf_counter() - run_start)
            log(f"step {step}: train loss {history['train'][-1]:.4f}, lr {lr:.2e}, {rate:.2f} steps/s, "
                f"{elapsed:.0f} s")
        if step % args.eval_interval == 0 or step == args.max_steps or elapsed >= budget:
            log(f"step {step}: validation loss {evaluate():.4f} ({elapsed:.0f} s)")
            save_checkpoint()
            elapsed = time.perf_counter() - start
    seconds_this_run = time.perf_counter() - run_start

    if not history["val_step"] or history["val_step"][-1] != step:
        log(f"step {step}: validation loss {evaluate():.4f}")
        save_checkpoint()
    plot_losses(history, out / "loss.png", f"char-level GPT on Tiny Shakespeare ({torch.__name__})")
    torch.manual_seed(args.seed)
    sample_ids = generate(torch, model, torch.zeros((1, 1), dtype=torch.long) + stoi["\n"], args.sample_chars,
                          config.block_size, temperature=args.temperature, top_k=args.top_k)
    sample = "".join(chars[i] for i in sample_ids[0].tolist())
    summary = {"library": torch.__name__, "steps": step, "val_loss": history["val"][-1], "seconds": elapsed,
               "steps_per_s": steps_this_run / seconds_this_run if steps_this_run else 0.0, "sample": sample}
    log(f"{torch.__name__}: validation loss {summary['val_loss']:.4f} nats/char after {step} steps, "
        f"{elapsed:.0f} s of training ({summary['steps_per_s']:.2f} steps/s in this run); "
        f"loss curve {out / 'loss.png'}, checkpoint {checkpoint_path}")
    log(f"sample (temperature {args.temperature}):\n{sample}")
    return summary


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--torch", action="store_true", help="run the same script with PyTorch")
    parser.add_argument("--out", default=None, help="folder for checkpoint, loss curve and log "
                        "(default runs/train_gpt/<library>)")
    parser.add_argument("--resume", action="store_true", help="continue from --out's ckpt.pt")
    parser.add_argument("--max-steps", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=15.0, help="time budget of training and evaluation")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--batch-size", type=int, default=12)
    parser.add_argument("--block-size", type=int, default=64)
    parser.add_argument("--n-layer", type=int, default=4)
    parser.add_argument("--n-head", type=int, default=4)
    parser.add_argument("--n-embd", type=int, default=128)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--lr-decay-steps", type=int, default=None, help="steps of the cosine (default --max-steps)")
    parser.add_argument("--weight-decay", type=float, default=0.1)
    parser.add_argument("--grad-clip", type=float, default=1.0)
    parser.add_argument("--eval-interval", type=int, default=500)
    parser.add_argument("--eval-iters", type=int, default=20, help="validation batches per evaluation")
    parser.add_argument("--eval-batch-size", type=int, default=64)
    parser.add_argument("--log-interval", type=int, default=100)
    parser.add_argument("--sample-chars", type=int, default=500)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--top-k", type=int, default=None)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.torch:
        import torch
    else:
        import tinytorch as torch
    if args.out is None:
        args.out = str(Path("runs") / "train_gpt" / torch.__name__)
    return train(torch, args)


if __name__ == "__main__":
    main()
