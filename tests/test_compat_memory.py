"""Issue 13's memory goal for in-place updates: an optimizer step written the PyTorch way (`p.add_(...)`,
`p -= lr * p.grad` under no_grad, `SGD.step()`) changes the parameter's own array and allocates at most one
gradient's worth of bytes (the temporary `lr * grad`), measured with module 19's MemoryTracker
(benchmarks/bench_inplace.py prints the same figures)."""
from __future__ import annotations

import pytest

import tinytorch as tt
from tinytorch.benchmarking import MemoryTracker

SLACK = 4096  # bytes: the tensors, tuples and frames of one call, not arrays
SHAPE = (256, 128)


def update_peak(update) -> int:
    "Peak bytes allocated by one call of `update` (after a warm-up call)."
    update()
    with MemoryTracker() as tracker:
        update()
    return tracker.peak_bytes


def parameter(shape: tuple[int, ...] = SHAPE) -> tt.nn.Parameter:
    "A float32 parameter of `shape` with a gradient."
    p = tt.nn.Parameter(tt.randn(*shape))
    p.grad = tt.randn(*shape)
    return p


def updates(p: tt.nn.Parameter, lr: float = 0.01) -> dict:
    "The three ways of writing the update, each a function of no arguments, by how it is written."
    def add_():
        with tt.no_grad():
            p.add_(p.grad, alpha=-lr)

    def isub():
        nonlocal p  # `p -= ...` rebinds the name to what __isub__ returns: p itself, changed in place
        with tt.no_grad():
            p -= lr * p.grad

    return {"p.add_(p.grad, alpha=-lr)": add_, "p -= lr * p.grad": isub,
            "SGD(lr).step()": tt.optim.SGD([p], lr=lr).step}


@pytest.mark.parametrize("name", list(updates(parameter())))
def test_an_in_place_update_allocates_at_most_one_gradient(name):
    p = parameter()
    before = p.data
    peak = update_peak(updates(p)[name])
    assert p.data is before, f"{name}: the parameter got a new array instead of being changed in place"
    assert peak <= p.grad.data.nbytes + SLACK, (
        f"{name}: the update allocated {peak:,} bytes at its peak; one gradient is {p.grad.data.nbytes:,}")
