"""PyTorch fidelity of issue 13's autograd and nn names: `autograd.Function` with `ctx`, `retain_grad()`,
`backward(retain_graph=...)`, `autograd.grad` with a single tensor, `create_graph=True` (a clear error),
`nn.ModuleList`, `nn.ModuleDict`, `nn.ParameterList`, `F.one_hot`: the same code under both libraries."""
from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
from tests.reference import needs_torch, torch
from tests.test_compat import assert_same, f64

pytestmark = needs_torch


def _function_class(lib):
    class ScaledExp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            y = (x * scale).exp()
            ctx.save_for_backward(y, scale)
            ctx.flags = ctx.needs_input_grad
            return y

        @staticmethod
        def backward(ctx, grad):
            y, scale = ctx.saved_tensors
            return grad * y * scale, (grad * y * ctx.saved_tensors[0].log() / scale).sum()
    return ScaledExp


def _custom_function(lib):
    x = f64(lib, [0.5, -1.0, 2.0]).requires_grad_()
    scale = f64(lib, 0.7).requires_grad_()
    out = _function_class(lib).apply(x, scale)
    (out * f64(lib, [1.0, 2.0, 3.0])).sum().backward()
    return [out, x.grad, scale.grad]


def _retain_grad(lib):
    x = f64(lib, [0.5, -1.0, 2.0]).requires_grad_()
    y = x * 3
    y.retain_grad()
    z = (y * y).sum() + y[0]
    z.backward()
    return [y.grad, x.grad, float(y.retains_grad), float(x.is_leaf)]


def _retain_graph_twice(lib):
    x = f64(lib, [0.5, -1.0]).requires_grad_()
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    return [x.grad]


def _grad_of_single_tensor(lib):
    x = f64(lib, [[0.5, -1.0], [2.0, 0.25]]).requires_grad_()
    w = f64(lib, [1.5, -0.5]).requires_grad_()
    y = (x @ w).sin().sum()
    (gx,) = lib.autograd.grad(y, x, retain_graph=True)
    gw, = lib.autograd.grad(y, [w])
    return [gx, gw]


def _grad_allowing_unused(lib):
    x, unused = f64(lib, [0.5, -1.0]).requires_grad_(), f64(lib, [3.0]).requires_grad_()
    gx, gu = lib.autograd.grad((x * x).sum(), [x, unused], allow_unused=True)
    return [gx, float(gu is None)]


@pytest.mark.parametrize("case", [_custom_function, _retain_grad, _retain_graph_twice, _grad_of_single_tensor,
                                  _grad_allowing_unused])
def test_autograd_features_equal_pytorch(case):
    assert_same(case)


@needs_torch
@pytest.mark.parametrize("lib", [tt, torch], ids=["tinytorch", "torch"])
def test_grad_of_an_unused_or_constant_input_raises_pytorchs_error(lib):
    x, unused, constant = f64(lib, [0.5, -1.0]).requires_grad_(), f64(lib, [3.0]).requires_grad_(), f64(lib, [4.0])
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph. Set allow_unused=True"):
        lib.autograd.grad(y, [x, unused], retain_graph=True)
    with pytest.raises(RuntimeError, match="does not require grad"):
        lib.autograd.grad(y, [constant], retain_graph=True)


def test_function_context_and_errors():
    flags = []

    class Square(tt.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            flags.append(ctx.needs_input_grad)
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return (grad * 2 * x,)  # one gradient for two inputs

    x = tt.tensor([1.0, 2.0], requires_grad=True)
    out = Square.apply(x, tt.tensor([3.0]))
    assert flags == [(True, False)] and repr(out.grad_fn) == "<SquareBackward>"
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        out.sum().backward()
    assert Square.apply(tt.tensor([1.0]), 2).grad_fn is None  # nothing requires grad: no node

    class Identity(tt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad

    y = x * 1
    z = Identity.apply(y)
    assert z is not y and z.grad_fn is not None and np.shares_memory(z.data, y.data)
    with tt.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_create_graph_raises_a_clear_error():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    for call in (lambda: y.backward(create_graph=True), lambda: tt.autograd.grad(y, x, create_graph=True)):
        with pytest.raises(NotImplementedError, match="create_graph=True.*Hessian-vector"):
            call()
    assert x.grad is None


def _containers(lib):
    lib.manual_seed(0)

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = lib.nn.ModuleList([lib.nn.Linear(3, 3) for _ in range(2)])
            self.blocks.append(lib.nn.Identity())
            self.heads = lib.nn.ModuleDict({"a": lib.nn.Linear(3, 2), "b": lib.nn.Linear(3, 1)})
            self.scales = lib.nn.ParameterList([lib.nn.Parameter(lib.ones(3)), lib.nn.Parameter(lib.ones(2))])

        def forward(self, x):
            for block in self.blocks:
                x = block(x) * self.scales[0]
            return self.heads["a"](x) * self.scales[1]
    return Net()


def test_containers_register_like_pytorchs():
    ours, theirs = _containers(tt), _containers(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert len(ours.blocks) == len(theirs.blocks) == 3 and len(ours.blocks[:2]) == 2
    assert list(ours.heads.keys()) == list(theirs.heads.keys()) and "a" in ours.heads and len(ours.heads) == 2
    ours.load_state_dict({k: tt.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x = np.linspace(-1, 1, 6).reshape(2, 3)
    np.testing.assert_allclose(ours(tt.tensor(x)).data, theirs(torch.tensor(x, dtype=torch.float32)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    ours.blocks[0] = tt.nn.Identity()
    del ours.heads["b"]
    assert len(list(ours.parameters())) == 2 + 2 + 2 and list(ours.heads) == ["a"]
    with pytest.raises(TypeError, match="holds Modules"):
        ours.blocks.append(3)
    with pytest.raises(KeyError):
        ours.heads["c"]


def test_one_hot_equals_pytorchs():
    labels = np.array([[0, 2], [1, 3]])
    for kwargs in ({}, {"num_classes": 5}):
        got = tt.nn.functional.one_hot(tt.tensor(labels), **kwargs)
        want = torch.nn.functional.one_hot(torch.tensor(labels), **kwargs)
        assert got.dtype == tt.int64 and np.array_equal(got.data, want.numpy())
    with pytest.raises(ValueError, match="class indices"):
        tt.nn.functional.one_hot(tt.tensor([0, 3]), num_classes=3)
    with pytest.raises(TypeError, match="int64"):
        tt.nn.functional.one_hot(tt.tensor([0.0, 1.0]))
