"""Reverse-mode autograd (module 07) on every differentiable op of modules 02–05: gradients
against central differences in float64, and forward values and gradients against PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
from tests.reference import (assert_gradients_match_central_differences, assert_matches_torch, needs_torch,
                             torch)

F = tt.nn.functional
rng = np.random.default_rng(7)


def normal(*shape):
    return rng.standard_normal(shape)


def positive(*shape):
    return rng.uniform(0.5, 2.0, shape)


def away_from_zero(*shape):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.0, shape)


def distinct(*shape):  # no ties, so max has one argmax per row
    return rng.permutation(np.arange(int(np.prod(shape)), dtype=np.float64)).reshape(shape) / 3


def tf():
    return torch.nn.functional


LABELS = np.array([2, 0, 3])
PROBABILITIES = rng.uniform(0.05, 0.95, (3, 4))
TARGETS = rng.uniform(0, 1, (3, 4))

# id, tinytorch function, PyTorch function, inputs
CASES = [
    ("add_broadcast", lambda a, b: a + b, lambda a, b: a + b, [normal(3, 4), normal(4)]),
    ("add_broadcast_both", lambda a, b: a + b, lambda a, b: a + b, [normal(3, 1), normal(1, 4)]),
    ("add_number", lambda a: 2.5 + a + 1, lambda a: 2.5 + a + 1, [normal(2, 3)]),
    ("sub", lambda a, b: a - b - 1 - (1 - b), lambda a, b: a - b - 1 - (1 - b), [normal(2, 3), normal(2, 3)]),
    ("mul_broadcast", lambda a, b: a * b * 3, lambda a, b: a * b * 3, [normal(2, 3, 4), normal(3, 1)]),
    ("div", lambda a, b: a / b + 2 / b, lambda a, b: a / b + 2 / b, [normal(3, 4), positive(4)]),
    ("pow_number", lambda a: a ** 3 + a ** 2, lambda a: a ** 3 + a ** 2, [normal(3, 4)]),
    ("pow_tensor", lambda a, b: a ** b, lambda a, b: a ** b, [positive(3, 4), normal(3, 4)]),
    ("rpow", lambda a: 2 ** a, lambda a: 2 ** a, [normal(3, 4)]),
    ("neg", lambda a: -a, lambda a: -a, [normal(3)]),
    ("matmul", lambda a, b: a @ b, lambda a, b: a @ b, [normal(3, 4), normal(4, 5)]),
    ("matmul_vector", lambda a, b: a @ b, lambda a, b: a @ b, [normal(3, 4), normal(4)]),
    ("vector_matmul", lambda a, b: a @ b, lambda a, b: a @ b, [normal(4), normal(4, 5)]),
    ("dot", lambda a, b: a @ b, lambda a, b: a @ b, [normal(4), normal(4)]),
    ("matmul_batched_broadcast", lambda a, b: a @ b, lambda a, b: a @ b, [normal(2, 3, 4), normal(4, 5)]),
    ("matmul_batches", lambda a, b: a.matmul(b), lambda a, b: a.matmul(b), [normal(2, 1, 3, 4), normal(3, 4, 2)]),
    ("sum_all", lambda a: a.sum(), lambda a: a.sum(), [normal(3, 4)]),
    ("sum_dim", lambda a: a.sum(dim=1), lambda a: a.sum(dim=1), [normal(3, 4)]),
    ("sum_dims_keepdim", lambda a: a.sum(dim=(0, 2), keepdim=True), lambda a: a.sum(dim=(0, 2), keepdim=True),
     [normal(2, 3, 4)]),
    ("mean_negative_dim", lambda a: a.mean(dim=-1), lambda a: a.mean(dim=-1), [normal(2, 3, 4)]),
    ("mean_all", lambda a: a.mean(), lambda a: a.mean(), [normal(3, 4)]),
    ("max_all", lambda a: a.max(), lambda a: a.max(), [distinct(3, 4)]),
    ("max_dim", lambda a: a.max(dim=1).values, lambda a: a.max(dim=1).values, [distinct(3, 4)]),
    ("max_dim_keepdim", lambda a: a.max(dim=0, keepdim=True).values,
     lambda a: a.max(dim=0, keepdim=True).values, [distinct(3, 4)]),
    ("exp", lambda a: a.exp(), lambda a: a.exp(), [normal(3, 4)]),
    ("log", lambda a: a.log(), lambda a: a.log(), [positive(3, 4)]),
    ("sqrt", lambda a: a.sqrt(), lambda a: a.sqrt(), [positive(3, 4)]),
    ("abs", lambda a: a.abs(), lambda a: a.abs(), [away_from_zero(3, 4)]),
    ("clamp", lambda a: a.clamp(-0.5, 0.7), lambda a: a.clamp(-0.5, 0.7), [away_from_zero(3, 4)]),
    ("reshape_view", lambda a: a.reshape(4, 3).view(2, 6) * 1, lambda a: a.reshape(4, 3).view(2, 6) * 1,
     [normal(3, 4)]),
    ("transpose_T_permute", lambda a: a.transpose(0, 2).T.permute(1, 0, 2), lambda a: a.transpose(0, 2).permute(2, 1, 0).permute(1, 0, 2),
     [normal(2, 3, 4)]),
    ("squeeze_unsqueeze", lambda a: a.unsqueeze(0).squeeze(1), lambda a: a.unsqueeze(0).squeeze(1), [normal(3, 1, 4)]),
    ("index_basic", lambda a: a[1:, ::2], lambda a: a[1:, ::2], [normal(3, 4)]),
    ("index_repeated", lambda a: a[[0, 2, 0]], lambda a: a[[0, 2, 0]], [normal(3, 4)]),
    ("index_mask", lambda a: a[a.detach() > 0], lambda a: a[a.detach() > 0], [normal(3, 4)]),
    ("index_pairs", lambda a: a[tt.tensor([0, 1, 1]), tt.tensor([2, 0, 0])],
     lambda a: a[torch.tensor([0, 1, 1]), torch.tensor([2, 0, 0])], [normal(3, 4)]),
    ("relu", lambda a: F.relu(a), lambda a: tf().relu(a), [away_from_zero(3, 4)]),
    ("sigmoid", lambda a: F.sigmoid(a), lambda a: torch.sigmoid(a), [normal(3, 4)]),
    ("tanh_method", lambda a: a.tanh(), lambda a: a.tanh(), [normal(3, 4)]),
    ("gelu", lambda a: F.gelu(a), lambda a: tf().gelu(a), [normal(3, 4)]),
    ("gelu_tanh", lambda a: F.gelu(a, approximate="tanh"), lambda a: tf().gelu(a, approximate="tanh"), [normal(3, 4)]),
    ("gelu_module", lambda a: tt.nn.GELU()(a), lambda a: torch.nn.GELU()(a), [normal(3, 4)]),
    ("softmax", lambda a: F.softmax(a, dim=1), lambda a: torch.softmax(a, dim=1), [normal(3, 4)]),
    ("log_softmax_dim0", lambda a: F.log_softmax(a, 0), lambda a: torch.log_softmax(a, 0), [normal(3, 4)]),
    ("linear", lambda x, w, b: F.linear(x, w, b), lambda x, w, b: tf().linear(x, w, b),
     [normal(3, 4), normal(5, 4), normal(5)]),
    ("linear_3d_no_bias", lambda x, w: F.linear(x, w), lambda x, w: tf().linear(x, w), [normal(2, 3, 4), normal(5, 4)]),
    ("linear_bias_keyword", lambda x, w, b: F.linear(x, w, bias=b), lambda x, w, b: tf().linear(x, w, bias=b),
     [normal(3, 4), normal(5, 4), normal(5)]),
    ("dropout_eval", lambda a: F.dropout(a, 0.5, training=False), lambda a: tf().dropout(a, 0.5, training=False),
     [normal(3, 4)]),
    ("mse_loss", lambda a, b: F.mse_loss(a, b), lambda a, b: tf().mse_loss(a, b), [normal(3, 4), normal(3, 4)]),
    ("mse_loss_sum", lambda a, b: F.mse_loss(a, b, reduction="sum"),
     lambda a, b: tf().mse_loss(a, b, reduction="sum"), [normal(3, 4), normal(3, 4)]),
    ("cross_entropy", lambda a, t: F.cross_entropy(a, t), lambda a, t: tf().cross_entropy(a, t), [normal(3, 4), LABELS]),
    ("cross_entropy_none", lambda a, t: F.cross_entropy(a, t, reduction="none"),
     lambda a, t: tf().cross_entropy(a, t, reduction="none"), [normal(3, 4), LABELS]),
    ("cross_entropy_large_logits", lambda a, t: F.cross_entropy(a * 1000, t),
     lambda a, t: tf().cross_entropy(a * 1000, t), [normal(3, 4), LABELS]),
    ("nll_loss_sum", lambda a, t: F.nll_loss(a, t, reduction="sum"), lambda a, t: tf().nll_loss(a, t, reduction="sum"),
     [normal(3, 4), LABELS]),
    ("bce", lambda p, t: F.binary_cross_entropy(p, t), lambda p, t: tf().binary_cross_entropy(p, t),
     [PROBABILITIES, TARGETS.copy().astype(np.int64).astype(np.float64) * 0 + TARGETS]),
    ("bce_with_logits", lambda a, t: F.binary_cross_entropy_with_logits(a, t),
     lambda a, t: tf().binary_cross_entropy_with_logits(a, t), [normal(3, 4) * 5, TARGETS]),
    ("used_twice", lambda a: a * a + a, lambda a: a * a + a, [normal(3, 4)]),
    ("diamond", lambda a: (lambda h: h * 2 + h.exp() * h)(a.tanh()), lambda a: (lambda h: h * 2 + h.exp() * h)(a.tanh()),
     [normal(3, 4)]),
    ("mlp", lambda x, w1, w2: F.log_softmax(F.linear(F.relu(F.linear(x, w1)), w2), 1),
     lambda x, w1, w2: torch.log_softmax(tf().linear(tf().relu(tf().linear(x, w1)), w2), 1),
     [normal(5, 4), normal(6, 4), normal(3, 6)]),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize("name, fn, torch_fn, arrays", CASES, ids=IDS)
def test_gradient_equals_central_differences(name, fn, torch_fn, arrays):
    if name in ("bce", "bce_with_logits"):  # targets of BCE get no gradient here; check the inputs only
        assert_gradients_match_central_differences(lambda p: fn(p, tt.tensor(arrays[1])), arrays[:1])
        return
    assert_gradients_match_central_differences(fn, arrays)


@needs_torch
@pytest.mark.parametrize("name, fn, torch_fn, arrays", CASES, ids=IDS)
def test_values_and_gradients_equal_pytorch(name, fn, torch_fn, arrays):
    if name in ("bce", "bce_with_logits"):
        target = arrays[1]
        assert_matches_torch(lambda p: fn(p, tt.tensor(target)), lambda p: torch_fn(p, torch.tensor(target)), arrays[:1])
        return
    assert_matches_torch(fn, torch_fn, arrays)


def test_every_function_of_nn_functional_is_differentiable():
    "The functions of 03–05 record a node once autograd is imported (replace_function reached them)."
    x = tt.randn(4, 3, requires_grad=True)
    labels = tt.tensor([0, 2, 1, 1])
    for name in ("relu", "sigmoid", "tanh", "gelu"):
        assert getattr(F, name)(x).grad_fn is not None, name
    assert F.softmax(x, 1).grad_fn is not None and F.log_softmax(x, 1).grad_fn is not None
    assert F.cross_entropy(x, labels).grad_fn is not None
    assert tt.nn.Linear(3, 2)(x).grad_fn is not None
    assert tt.layers.relu is F.relu is tt.relu, "every reference to relu must be the differentiable one"


def test_binary_operators_take_two_arguments_and_record_like_every_other_op():
    "a + b and t[i] reach a wrapper of exactly two parameters (nothing packed); it records as the general one does."
    from tinytorch.autograd import _is_binary_operator

    def parameter_names(fn):
        return fn.__code__.co_varnames[:fn.__code__.co_argcount]
    for name in ("__add__", "__rsub__", "__mul__", "__truediv__", "__pow__", "__getitem__"):
        assert parameter_names(getattr(tt.Tensor, name)) == ("a", "b"), name
    for name in ("__neg__", "matmul", "sum", "exp"):
        assert not _is_binary_operator(getattr(tt.Tensor, name).__wrapped__), name
    assert not _is_binary_operator(lambda a, b: a)  # not a special method: may be called by keyword
    x, c = tt.tensor([1.0, -2.0], requires_grad=True), tt.tensor([3.0, 4.0])
    for value, node in ((x + c, "Add"), (c - x, "Sub"), (2.0 * x, "Mul"), (c / x, "Div"), (x[1], "Index")):
        assert value.grad_fn.name == node, node
    assert (c + c).grad_fn is None and (c + 1).requires_grad is False
    with tt.no_grad():
        assert (x + c).grad_fn is None
    (x * c + x[0]).sum().backward()
    assert x.grad.tolist() == [5.0, 4.0]  # c, plus x[0] added to both elements


def test_ties_share_the_gradient_of_max_as_in_pytorch():
    x = tt.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [[0, 0.5, 0.5], [0, 0, 0]]


def test_gradients_accumulate_across_backward_calls_until_zeroed():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [4.0, 8.0]
    x.zero_grad()
    (3 * x).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_a_leafs_grad_never_shares_memory_with_another_leaf_or_the_callers_gradient():
    a, b = tt.ones(3, requires_grad=True), tt.ones(3, requires_grad=True)
    (a + b).sum().backward()  # one gradient array for both leaves
    a.grad.data += 1
    assert b.grad.tolist() == [1.0, 1.0, 1.0]
    x, seed = tt.ones(3, requires_grad=True), tt.tensor([1.0, 2.0, 3.0])
    x.backward(seed)
    x.backward(seed)  # accumulates into x.grad: must not write into the caller's seed
    assert x.grad.tolist() == [2.0, 4.0, 6.0] and seed.tolist() == [1.0, 2.0, 3.0]
    y = tt.ones(2, 2, requires_grad=True)
    (y.clone().sum() + y.to(tt.float32).sum()).backward()  # clone and to pass their gradient on as it is
    assert y.grad.tolist() == [[2.0, 2.0], [2.0, 2.0]]


def test_a_gradient_nothing_else_refers_to_is_kept_without_a_copy():
    import tracemalloc
    layer = tt.nn.Linear(512, 256)
    loss = layer(tt.randn(32, 512)).sum()
    tracemalloc.start()
    try:
        loss.backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the weight's gradient is one new (256, 512) array; a copy of it would double the peak
    assert peak < 1.5 * layer.weight.data.nbytes, f"backward allocated {peak / layer.weight.data.nbytes:.2f} weights"


def test_only_leaves_get_grad_and_intermediate_gradients_come_from_grad():
    x = tt.tensor([1.0, -2.0], requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    y.backward()
    assert h.grad is None and x.grad.tolist() == [18.0, -36.0]
    (grad_h,) = tt.autograd.grad(y, [h])
    assert grad_h.tolist() == [6.0, -12.0]


def test_a_deep_chain_needs_no_recursion():
    x = tt.tensor(1.0, dtype=tt.float64, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    assert np.isclose(x.grad.item(), 1.0001 ** 5000)


def test_no_grad_records_nothing_and_detach_cuts_the_graph():
    x = tt.randn(3, requires_grad=True)
    with tt.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert tt.is_grad_enabled()

    @tt.no_grad()
    def double(t):
        return t * 2
    assert double(x).grad_fn is None
    z = x.detach()
    assert not z.requires_grad and np.shares_memory(z.data, x.data)


def test_backward_errors_say_what_to_do():
    x = tt.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient argument.*\(3,\)"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        tt.randn(3).sum().backward()
    with pytest.raises(ValueError, match=r"gradient of shape \(2,\) does not match.*\(3,\)"):
        (x * 2).backward(tt.ones(2))


def test_gradients_keep_the_dtype_of_their_tensor():
    w = tt.randn(3, 2, requires_grad=True)  # float32
    (tt.tensor(np.ones((4, 3))) @ w).sum().backward()  # float64 input
    assert w.grad.dtype == tt.float32


@needs_torch
def test_layers_losses_and_optimizers_train_like_pytorch():
    "Five SGD-with-momentum steps of a small MLP from the same weights: same losses and weights as PyTorch."
    data = np.random.default_rng(0)
    X, y = data.standard_normal((16, 5)), data.integers(0, 3, 16)
    ours = tt.nn.Sequential(tt.nn.Linear(5, 8, dtype=tt.float64), tt.nn.Tanh(), tt.nn.Linear(8, 3, dtype=tt.float64))
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            q.copy_(torch.from_numpy(p.numpy()))
    ours_opt = tt.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)
    theirs_opt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)
    for _ in range(5):
        for model, opt, lib in ((ours, ours_opt, tt), (theirs, theirs_opt, torch)):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(lib.tensor(X)), lib.tensor(y))
            loss.backward()
            opt.step()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-12)
