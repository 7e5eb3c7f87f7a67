"""Train a small CNN (module 09) on the handwritten digits through a Dataset and a DataLoader (module 10),
written as a PyTorch script, and test it on the test digits as they are and moved by one pixel.

    python examples/train_digits_loader.py                  # with tinytorch
    python examples/train_digits_loader.py --model mlp      # 08's MLP instead, for comparison
    python examples/train_digits_loader.py --torch          # the same script with PyTorch (if installed)
    python examples/train_digits_loader.py --workers 2      # batches prepared by two worker processes
    python examples/train_digits_loader.py --shift          # training digits moved by up to a pixel, at random

Everything below the imports is plain PyTorch code (`torch.utils.data`: a Dataset subclass,
TensorDataset, random_split and DataLoader with a seeded Generator); only the import line differs.
With `--shift` the dataset moves each training digit by up to one pixel in `__getitem__`, one
example at a time, as PyTorch code usually does (the MLP then needs more epochs for the same test
accuracy). The CNN with `--shift` reads the moved digits about as well as the unmoved ones; the
MLP does not. The digits (UCI, CC BY 4.0) ship inside tinytorch. Matrix products run on one BLAS
thread in both runs: the matrices are tiny."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's reference tinytorch
from tinytorch.training import load_digits  # noqa: E402


def make_dataset(torch, seed: int, shift: bool):
    """A map-style dataset class of (image (1, 8, 8), label); with `shift`, each image moves by up to one pixel
    (zeros filling in), at random, when it is read."""

    class Digits(torch.utils.data.Dataset):
        def __init__(self, images: np.ndarray, labels: np.ndarray):
            self.images, self.labels, self.rng = images, labels, np.random.default_rng(seed)

        def __len__(self) -> int:
            return len(self.images)

        def __getitem__(self, index: int):
            image = self.images[index]
            if shift:  # a window of the zero-padded image: moved by -1, 0 or 1 pixels down and right
                dy, dx = self.rng.integers(0, 3, size=2)
                image = np.pad(image, ((0, 0), (1, 1), (1, 1)))[:, dy:dy + 8, dx:dx + 8]
            return torch.from_numpy(image), int(self.labels[index])

    return Digits


def make_model(torch, kind: str):
    "09's milestone CNN (6,090 parameters) or 08's 64-128-10 MLP, for images (N, 1, 8, 8)."
    nn = torch.nn
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(128, 10))


def test_accuracy(torch, model, loader) -> tuple[float, float]:
    "Accuracy on the loader's digits as they are and moved one pixel to the right."
    correct = moved_correct = count = 0
    with torch.no_grad():
        for inputs, targets in loader:
            moved = np.zeros_like(inputs.numpy())
            moved[..., 1:] = inputs.numpy()[..., :-1]
            correct += (model(inputs).argmax(dim=1) == targets).sum().item()
            moved_correct += (model(torch.from_numpy(moved)).argmax(dim=1) == targets).sum().item()
            count += len(targets)
    return correct / count, moved_correct / count


def train(torch, epochs: int = 30, batch_size: int = 64, lr: float = 3e-3, seed: int = 0, workers: int = 0,
          shift: bool = False, kind: str = "cnn") -> tuple[float, float, float]:
    "Train the model with Adam; return (test accuracy, accuracy on moved test digits, seconds spent training)."
    X, y = load_digits()
    images = X.reshape(-1, 1, 8, 8)
    everything = torch.utils.data.TensorDataset(torch.from_numpy(images), torch.from_numpy(y))
    train_part, test_part = torch.utils.data.random_split(everything, [0.8, 0.2],
                                                          generator=torch.Generator().manual_seed(seed))
    rows = np.asarray(train_part.indices)
    train_set = make_dataset(torch, seed, shift)(images[rows], y[rows])
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=batch_size, shuffle=True, num_workers=workers,
                                               generator=torch.Generator().manual_seed(seed))
    test_loader = torch.utils.data.DataLoader(test_part, batch_size=256)
    torch.manual_seed(seed)
    model = make_model(torch, kind)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(epochs):
        for inputs, targets in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    return (*test_accuracy(torch, model, test_loader), seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--torch", action="store_true", help="run the same script with PyTorch")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--shift", action="store_true", help="move training digits by up to a pixel, at random")
    parser.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", choices=("cnn", "mlp"), default="cnn")
    args = parser.parse_args()
    if args.torch:
        import torch
        torch.set_num_threads(1)
    else:
        import tinytorch as torch
    with threadpool_limits(limits=1, user_api="blas"):  # tiny matrices: one thread is fastest
        accuracy, moved, seconds = train(torch, epochs=args.epochs, seed=args.seed, workers=args.workers,
                                         shift=args.shift, kind=args.model)
    print(f"{torch.__name__}: {args.model} test accuracy {accuracy:.2%}, moved one pixel {moved:.2%}, after "
          f"{args.epochs} epochs ({args.workers} workers), {seconds:.2f} s of training")


if __name__ == "__main__":
    main()
