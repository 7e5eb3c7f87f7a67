"""Module 10's DataLoader: worker processes and batch-vectorised transforms, as ratios measured side by side.

    .venv/bin/python benchmarks/bench_dataloader.py        (the PyTorch line needs requirements-torch.txt)

Targets (issue 14), for the reference solution on a 2-core machine:
- per-example Python augmentation (each 28x28 image in __getitem__ given a random rotation, scale and
  translation by bilinear interpolation, brightness/contrast jitter and noise: a few tens of NumPy
  calls per image, as torchvision's RandomAffine + ColorJitter pipelines cost, so that sending the
  batch back from a worker is a small part of the work): 2 workers give >= 1.5x the samples per
  second of 0 workers;
- the same augmentation by batch-vectorised transforms (RandomShift + RandomHorizontalFlip +
  GaussianNoise on the whole batch) is >= 5x faster than applying them per example, on the
  digits' 8x8 images and on MNIST's 28x28 (where drawing the noise, the same work either way,
  takes a larger share).
Each ratio is the median of interleaved rounds (speed_ratio), so load hits both sides alike; the
worker ratio needs two cores that other programs leave free (the load average is printed)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import machine_note, optional_torch, per_call_seconds  # noqa: E402

from tinytorch.data import (Compose, DataLoader, Dataset, GaussianNoise, Generator, RandomHorizontalFlip,  # noqa: E402
                            RandomShift, TensorDataset, TransformDataset, default_collate)
from tinytorch.setup import speed_ratio  # noqa: E402

torch = optional_torch()

N, BATCH = 4096, 64
IMAGES = np.random.default_rng(0).random((N, 1, 28, 28), dtype=np.float32)
LABELS = np.arange(N) % 10


ROWS, COLS = np.mgrid[0:28, 0:28].astype(np.float32) - 13.5  # pixel centres around the image's middle


def random_affine(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`image` (1, 28, 28) rotated by up to 15 degrees, scaled by 0.9-1.1 and moved by up to 2 pixels, sampled
    with bilinear interpolation (zeros outside), then brightness/contrast jitter and Gaussian noise."""
    angle, scale = np.deg2rad(rng.uniform(-15, 15)), rng.uniform(0.9, 1.1)
    dy, dx = rng.uniform(-2, 2, size=2)
    cos, sin = np.cos(angle) / scale, np.sin(angle) / scale
    src_r = cos * (ROWS - dy) - sin * (COLS - dx) + 13.5  # where each output pixel comes from
    src_c = sin * (ROWS - dy) + cos * (COLS - dx) + 13.5
    top, left = np.floor(src_r).astype(int), np.floor(src_c).astype(int)
    fr, fc = src_r - top, src_c - left
    padded = np.pad(image[0], 1)  # a zero border: neighbours outside the image read 0
    t, l = np.clip(top + 1, 0, 29), np.clip(left + 1, 0, 29)
    b, r = np.clip(top + 2, 0, 29), np.clip(left + 2, 0, 29)
    out = ((1 - fr) * ((1 - fc) * padded[t, l] + fc * padded[t, r]) + fr * ((1 - fc) * padded[b, l] + fc * padded[b, r]))
    out = (out - out.mean()) * rng.uniform(0.8, 1.2) + out.mean() + rng.uniform(-0.1, 0.1)
    return (out + rng.normal(0, 0.05, out.shape)).astype(np.float32)[None]


class PerExampleAugmented(Dataset):
    "Each image given a random affine transform, colour jitter and noise when read: augmentation one example at a time."

    def __len__(self) -> int:
        return N

    def __getitem__(self, index: int) -> tuple[np.ndarray, int]:
        return random_affine(IMAGES[index], np.random.default_rng(index)), int(LABELS[index])


def epoch(loader) -> int:
    "Read one epoch of `loader`; the number of samples."
    return sum(len(batch[1]) for batch in loader)


def main() -> None:
    print(machine_note())
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    dataset = PerExampleAugmented()
    loaders = {k: DataLoader(dataset, BATCH, shuffle=True, generator=Generator(0), num_workers=k) for k in (0, 2)}
    seconds = per_call_seconds(lambda: epoch(loaders[0]), repeats=3)
    print(f"\nper-example augmentation (random affine + jitter + noise), {N} images of 28x28, batch {BATCH}: "
          f"{N / seconds:,.0f} samples/s with 0 workers ({seconds / N * 1e6:.0f} µs per sample)")
    ratio = speed_ratio(lambda: epoch(loaders[0]), lambda: epoch(loaders[2]), rounds=5, min_time=0.2)
    print(f"  2 workers ÷ 0 workers, samples per second: {ratio:.2f}x   (target >= 1.5x)")
    if torch is not None:
        torch.set_num_threads(1)
        theirs = {k: torch.utils.data.DataLoader(dataset, BATCH, shuffle=True, num_workers=k,
                                                 generator=torch.Generator().manual_seed(0)) for k in (0, 2)}
        their_ratio = speed_ratio(lambda: epoch(theirs[0]), lambda: epoch(theirs[2]), rounds=5, min_time=0.2)
        print(f"  PyTorch's DataLoader on the same dataset, 2 workers ÷ 0: {their_ratio:.2f}x")
        versus = speed_ratio(lambda: epoch(loaders[0]), lambda: epoch(theirs[0]), rounds=5, min_time=0.2)
        print(f"  tinytorch ÷ PyTorch time per epoch, 0 workers: {versus:.2f}x")

    augment = Compose([RandomShift(2), RandomHorizontalFlip(), GaussianNoise(0.1)])
    for size in (8, 28):
        images = np.ascontiguousarray(IMAGES[:, :, :size, :size])
        augmented = TransformDataset(TensorDataset(images, LABELS), augment)
        per_batch = DataLoader(augmented, BATCH, shuffle=True, generator=Generator(0))
        per_example = DataLoader(augmented, BATCH, shuffle=True, generator=Generator(0), collate_fn=default_collate)
        seconds = per_call_seconds(lambda: epoch(per_batch), repeats=5)
        print(f"\nshift + flip + noise by tinytorch.data transforms on {size}x{size} images: "
              f"{N / seconds:,.0f} samples/s on whole batches")
        ratio = speed_ratio(lambda: epoch(per_example), lambda: epoch(per_batch), rounds=5, min_time=0.2)
        print(f"  per example ÷ per batch, time per epoch: {ratio:.1f}x   (target >= 5x)")

if __name__ == "__main__":
    main()
