"""What every script here shares: pick the library from the command line, print the results.

    python examples/compat/<script>.py            # with tinytorch, imported as `torch`
    python examples/compat/<script>.py --torch    # the same code with PyTorch (if installed)"""
from __future__ import annotations

import argparse
import importlib
from typing import Callable


def main(run: Callable, doc: str) -> None:
    "Parse --torch, run `run(torch)` with that library, print each result."
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--torch", action="store_true", help="run with PyTorch instead of tinytorch")
    library = importlib.import_module("torch" if parser.parse_args().torch else "tinytorch")
    for name, value in run(library).items():
        print(f"{name}: {value}")
