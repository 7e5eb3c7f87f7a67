"""Shared helpers for the library tests: central differences and the optional PyTorch reference."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.activations import numerical_vjp

try:
    import torch
except ImportError:  # PyTorch is an optional extra (requirements-torch.txt); CI installs it
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed (pip install -r requirements-torch.txt)")


def leaves(arrays: Sequence[np.ndarray]) -> list[tt.Tensor]:
    "float64 tinytorch tensors that require grad, one per array (int arrays stay constants)."
    return [tt.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]


def backward_with(output: tt.Tensor, grad_output: np.ndarray) -> None:
    "Start backpropagation from `output` with `grad_output` (a one-element output takes it as a scalar)."
    output.backward(tt.tensor(grad_output.reshape(output.shape)))


def assert_gradients_match_central_differences(fn: Callable, arrays: Sequence[np.ndarray], seed: int = 0,
                                               rtol: float = 1e-6, atol: float = 1e-7) -> None:
    """Every float input's gradient from backward() equals central differences of
    sum(grad_output * fn(...)) in float64, for a random grad_output."""
    arrays = [np.asarray(a) for a in arrays]
    inputs = leaves(arrays)
    output = fn(*inputs)
    grad_output = np.random.default_rng(seed).standard_normal(output.shape)
    backward_with(output, grad_output)
    for position, (array, tensor) in enumerate(zip(arrays, inputs)):
        if array.dtype.kind != "f":
            continue

        def with_this_input(x: tt.Tensor, position=position) -> tt.Tensor:
            others = [t.detach() for t in inputs]
            others[position] = x
            return fn(*others)
        expected = numerical_vjp(with_this_input, array, grad_output)
        assert tensor.grad is not None, f"input {position} got no gradient"
        np.testing.assert_allclose(tensor.grad.numpy(), expected, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {position}")


def assert_matches_torch(fn: Callable, torch_fn: Callable, arrays: Sequence[np.ndarray], seed: int = 0,
                         rtol: float = 1e-7, atol: float = 1e-9) -> None:
    "The forward values and every float input's gradient agree with PyTorch's in float64."
    arrays = [np.asarray(a) for a in arrays]
    inputs = leaves(arrays)
    references = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    output, expected = fn(*inputs), torch_fn(*references)
    np.testing.assert_allclose(output.numpy(), expected.detach().numpy(), rtol=rtol, atol=atol,
                               err_msg="forward values")
    grad_output = np.random.default_rng(seed).standard_normal(tuple(expected.shape))
    backward_with(output, grad_output)
    expected.backward(torch.tensor(grad_output))
    for position, (tensor, reference) in enumerate(zip(inputs, references)):
        if reference.requires_grad:
            np.testing.assert_allclose(tensor.grad.numpy(), reference.grad.numpy(), rtol=rtol, atol=atol,
                                       err_msg=f"gradient of input {position}")
