"""Train an MLP on the handwritten digits: the course's milestone, written as a PyTorch script.

    python examples/train_digits.py                  # with tinytorch
    python examples/train_digits.py --torch          # the same script with PyTorch (if installed)

Everything below the imports is plain PyTorch code; only the import line differs. The digits
(UCI, 1,797 8×8 images, CC BY 4.0) ship inside tinytorch, so both runs use the same arrays."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's reference tinytorch
from tinytorch.training import load_digits, train_test_split


def train(torch, epochs: int = 30, batch_size: int = 64, lr: float = 1e-3, seed: int = 0) -> tuple[float, float]:
    "Train a 64-128-10 MLP with Adam; return (test accuracy, seconds spent training)."
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=seed)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    inputs, targets = torch.from_numpy(X_train), torch.from_numpy(y_train)
    order = np.random.default_rng(seed)
    start = time.perf_counter()
    for _ in range(epochs):
        permutation = torch.from_numpy(order.permutation(len(X_train)))
        for i in range(0, len(X_train), batch_size):
            rows = permutation[i:i + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(inputs[rows]), targets[rows])
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        predictions = model(torch.from_numpy(X_test)).argmax(dim=1)
        accuracy = (predictions == torch.from_numpy(y_test)).float().mean().item()
    return accuracy, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--torch", action="store_true", help="run the same script with PyTorch")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.torch:
        import torch
    else:
        import tinytorch as torch
    accuracy, seconds = train(torch, epochs=args.epochs, seed=args.seed)
    print(f"{torch.__name__}: test accuracy {accuracy:.2%} after {args.epochs} epochs, "
          f"{seconds:.2f} s of training")


if __name__ == "__main__":
    main()
