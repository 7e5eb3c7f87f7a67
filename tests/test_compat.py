"""PyTorch fidelity: the same code run with `lib = tinytorch` and `lib = torch` gives the same values,
gradients and errors (float64, tight tolerance). Each case is a function of the library module."""
from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
from tests.reference import needs_torch, torch

pytestmark = needs_torch


def as_array(value):
    "A tensor of either library (or a number) as an ndarray."
    if hasattr(value, "detach"):
        value = value.detach()
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=np.float64)


def run_both(case):
    "The case's results under tinytorch and under PyTorch, each a list of values."
    return [list(case(lib)) for lib in (tt, torch)]


def assert_same(case, rtol=1e-12, atol=1e-12):
    ours, theirs = run_both(case)
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        a, b = as_array(a), as_array(b)
        assert a.shape == b.shape, f"result {i}: shape {a.shape} instead of PyTorch's {b.shape}"
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"result {i}")


def f64(lib, values):
    return lib.tensor(np.asarray(values, dtype=np.float64), dtype=lib.float64)


# ---------------------------------------------------------------- in-place operations, no autograd

def _alias_iadd(lib):
    x = f64(lib, [1, 2, 3])
    y = x
    x += 1
    return [x, y]


def _all_dunders(lib):
    x = f64(lib, [[1, 2], [3, 4]])
    x += f64(lib, [10, 20])
    x -= 1
    x *= f64(lib, [[2], [3]])
    x /= 4
    return [x]


def _methods(lib):
    x = f64(lib, [1, -2, 3, -4])
    r = [x.add_(1).clone(), x.add_(f64(lib, [1, 1, 1, 1]), alpha=-0.5).clone(), x.sub_(2, alpha=3).clone(),
         x.mul_(-2).clone(), x.div_(f64(lib, [1, 2, 4, 8])).clone(), x.clamp_(min=-1.5).clone(),
         x.clamp_(max=3.0).clone(), x.clamp_(-1, 1).clone(), x.fill_(7).clone(), x.copy_(f64(lib, [4, 3, 2, 1])).clone()]
    return r + [x.zero_()]


def _views_see_changes(lib):
    t = lib.zeros(2, 3, dtype=lib.float64)
    row, column, flat = t[1], t[:, 2], t.view(6)
    row += 5
    column.mul_(3)
    flat[0] = -1
    t.T[0, 1] = 9
    return [t, row, column, flat]


def _item_slice_mask_assignment(lib):
    t = lib.arange(12, dtype=lib.float64).reshape(3, 4)
    t[0] = 1
    t[:, 1] += 2
    t[t > 8] = 0
    t[1, 2:] = f64(lib, [-1, -2])
    t[lib.tensor([0, 2])] *= 10
    t[..., 0] -= t[..., 3]
    return [t]


def _integer_tensor(lib):
    t = lib.tensor([1, 2, 3])
    t += 2
    t *= 3
    t[0] = 7.9  # assignment casts, as in NumPy and PyTorch
    t.clamp_(max=10)
    return [t]


def _manual_update_under_no_grad(lib):
    w = f64(lib, [1.0, -2.0]).requires_grad_()
    for _ in range(3):
        loss = (w * w * f64(lib, [1, 3])).sum()
        loss.backward()
        with lib.no_grad():
            w -= 0.1 * w.grad
            w.grad.zero_()
    return [w, w.grad]


@pytest.mark.parametrize("case", [_alias_iadd, _all_dunders, _methods, _views_see_changes,
                                  _item_slice_mask_assignment, _integer_tensor, _manual_update_under_no_grad],
                         ids=lambda case: case.__name__.strip("_"))
def test_in_place_values_equal_pytorch(case):
    assert_same(case)


def test_in_place_keeps_the_object_and_counts_versions():
    x = tt.zeros(3)
    before, view = id(x), x[1:]
    x += 1
    assert id(x) == before and x.tolist() == [1, 1, 1]
    assert x._version == 1 and view._version == 1, "a view shares its base's version counter"
    view.add_(1)
    assert x._version == 2 and x.tolist() == [1, 2, 2]
    assert tt.zeros(2)._version == 0 and x.clone()._version == 0


# ------------------------------------------------------------------------ errors named as PyTorch does

ERRORS = [
    ("int_true_divide", lambda lib: lib.tensor([1, 2]).div_(2), "can't be cast to the desired output type"),
    ("int_add_float", lambda lib: lib.tensor([1, 2]).add_(1.5), "can't be cast to the desired output type"),
    ("broadcast_grows", lambda lib: lib.zeros(3).add_(lib.zeros(2, 3)), "doesn't match the broadcast shape"),
    ("leaf_requires_grad", lambda lib: lib.ones(2, requires_grad=True).mul_(2),
     "a leaf Variable that requires grad is being used in an in-place operation"),
    ("leaf_setitem", lambda lib: lib.ones(2, requires_grad=True).__setitem__(0, 5),
     "a leaf Variable that requires grad is being used in an in-place operation"),
]


def _saved_output_changed(lib):
    x = f64(lib, [0.5, 1.0]).requires_grad_()
    y = x.exp()
    y += 1
    y.sum().backward()


def _saved_input_changed(lib):
    x = f64(lib, [0.5, 1.0]).requires_grad_()
    h = x * 2
    y = h.log()
    with lib.no_grad():
        h.mul_(3)
    y.sum().backward()


def _backward_after_optimizer_step(lib):
    "The step changes the weight that linear's node saved (to give the input its gradient)."
    model = lib.nn.Linear(3, 2)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
    loss = model(lib.ones(4, 3, requires_grad=True)).pow(2).sum()
    loss.backward(retain_graph=True)
    optimizer.step()
    loss.backward()


ERRORS += [("saved_output", _saved_output_changed, "modified by an inplace operation"),
           ("saved_input_under_no_grad", _saved_input_changed, "modified by an inplace operation"),
           ("backward_after_optimizer_step", _backward_after_optimizer_step, "modified by an inplace operation")]


@pytest.mark.parametrize("name, case, text", ERRORS, ids=[e[0] for e in ERRORS])
def test_in_place_errors_are_pytorchs(name, case, text):
    for lib in (tt, torch):
        with pytest.raises(RuntimeError, match=text):
            case(lib)


# -------------------------------------------------------------------- autograd through in-place ops

def _grad_case(body):
    "A case: x (float64, requires grad) → body(lib, x) → a tensor; returns its values and x.grad."
    def case(lib):
        x = f64(lib, [0.3, -1.2, 2.0, 0.7]).requires_grad_()
        out = body(lib, x)
        out.backward(f64(lib, [1.0, -2.0, 0.5, 3.0]).reshape(out.shape))
        return [out, x.grad]
    case.__name__ = body.__name__
    return case


def _mul_(lib, x):
    y = x * 1
    y.mul_(x)
    return y * y


def _chain(lib, x):
    y = x + 0
    y.add_(x, alpha=2).sub_(1).div_(x + 3).clamp_(-0.5, 0.5)
    return y


def _iadd_tensor(lib, x):
    y = x.exp()
    y = y * 1
    y += x * x
    return y


def _setitem_from_graph(lib, x):
    z = lib.zeros(4, dtype=lib.float64)
    z[1:3] = x[:2] * 5
    z[0] = x[3]
    return z * x


def _mask_zeroing(lib, x):
    y = x * 2
    y[y < 0] = 0
    return y


def _fill_and_copy(lib, x):
    y = x * 3
    y[:2].fill_(1.5)
    out = lib.zeros(4, dtype=lib.float64)
    out.copy_(y)
    return out * out


def _zero_(lib, x):
    y = x * x
    return y.zero_() + x


GRAD_CASES = [_grad_case(body) for body in (_mul_, _chain, _iadd_tensor, _setitem_from_graph, _mask_zeroing,
                                            _zero_)]


@pytest.mark.parametrize("case", GRAD_CASES, ids=lambda case: case.__name__.strip("_"))
def test_gradients_through_in_place_ops_equal_pytorch(case):
    assert_same(case)


def test_in_place_on_a_view_of_a_recorded_tensor_is_refused_not_wrong():
    "PyTorch rewrites the history of a changed view's base; tinytorch refuses (see docs/PYTORCH.md)."
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="on a view"):
        y[:1] += 1
    with pytest.raises(RuntimeError, match="on a view"):
        y[:1].fill_(0)
    assert y.tolist() == [2.0, 4.0]
    first = y[:1]
    y[1] = 0  # y changes after `first` was recorded from it: refused at backward(), not a wrong gradient
    with pytest.raises(RuntimeError, match="changed in place"):
        (first + y).sum().backward()


def test_only_changes_after_a_node_was_made_are_checked(monkeypatch):
    """07's checks compare ticks of 02's clock: a change made before a graph (an update between training
    steps, a tensor changed long ago and still alive) costs its backward no lookup; one made after is caught."""
    lookups = []
    changed_since = tt.autograd._changed_since
    monkeypatch.setattr(tt.autograd, "_changed_since", lambda *args: lookups.append(args) or changed_since(*args))
    unrelated = tt.ones(2)
    unrelated += 1  # alive during the whole test, as a parameter updated in place would be
    x = tt.tensor([0.5, 1.0], requires_grad=True)
    h = x * 2
    h.add_(1)  # recorded, before the nodes made from h below
    y = h.exp() * h.log()
    (y * 1).sum().backward(retain_graph=True)
    checked = {array.shape for array, _ in lookups}
    assert len(lookups) == 1 and checked == {(2,)}, \
        f"only x * 2's node, made before h.add_(1), may look up its saved array; looked up {len(lookups)}"
    u = 2 * x.data + 1
    np.testing.assert_allclose(x.grad.data, 2 * np.exp(u) * (np.log(u) + 1 / u), rtol=1e-6)
    lookups.clear()
    z = (x * 3).exp().sum()
    z.backward()
    assert lookups == [], "nothing changed in place after z's nodes were made: no saved array may be looked up"
    with tt.no_grad():
        h.mul_(3)  # after y was made from h: the array log saved (h itself) is now stale
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def _parameter_versions(lib):
    "A Linear weight's version after initialisation, an optimizer step, and loading a state dict."
    model = lib.nn.Linear(3, 2)
    versions = [model.weight._version]
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
    model(lib.ones(4, 3)).sum().backward()
    optimizer.step()
    versions.append(model.weight._version)
    model.load_state_dict(model.state_dict())
    return versions + [model.weight._version]


def test_parameter_versions_count_initialisation_steps_and_loads_as_pytorchs():
    assert _parameter_versions(tt) == _parameter_versions(torch) == [1, 2, 3]


def _batch_norm_versions_and_stale_gradient(lib):
    """BatchNorm2d's versions after construction and one training step, and the input gradient of a graph made in
    evaluation mode, taken after a training-mode forward has updated the running statistics."""
    rng = np.random.default_rng(0)
    bn = lib.nn.BatchNorm2d(3, dtype=lib.float64)
    x = lib.tensor(rng.standard_normal((4, 3, 2, 2)), requires_grad=True)
    bn.eval()
    y = bn(x)
    bn.train()
    bn(lib.tensor(3 * rng.standard_normal((4, 3, 2, 2)) + 2))
    versions = {name: getattr(bn, name)._version for name in bn.state_dict()}
    y.sum().backward()  # neither library counts the running-statistics update as a version: no error
    return versions, x.grad.detach().numpy()


def test_batch_norm_counts_versions_and_reads_updated_statistics_as_pytorchs():
    versions, grad = _batch_norm_versions_and_stale_gradient(tt)
    expected_versions, expected_grad = _batch_norm_versions_and_stale_gradient(torch)
    assert versions == expected_versions == {"weight": 1, "bias": 1, "running_mean": 1, "running_var": 1,
                                             "num_batches_tracked": 2}
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12)
    bn = tt.nn.BatchNorm2d(2)
    bn(tt.tensor([[[[1.0]], [[3.0]]], [[[2.0]], [[5.0]]]]))
    with tt.no_grad():
        bn.weight.fill_(4)
        bn.bias.fill_(2)
    bn.reset_parameters()
    assert bn.running_mean.tolist() == [0, 0] and bn.running_var.tolist() == [1, 1]
    assert bn.num_batches_tracked.item() == 0 and bn.weight.tolist() == [1, 1] and bn.bias.tolist() == [0, 0]


def _residual_block_gradients(lib):
    """A ResNet block as torchvision writes it (`out = bn(conv(x)); out += identity; out = relu(out)` with
    `ReLU(inplace=True)`), then an average pool changed in place: the gradients of the input, the kernel and
    batch norm's weight and bias."""
    rng = np.random.default_rng(3)
    F = lib.nn.functional
    x, w = (f64(lib, rng.standard_normal(shape)).requires_grad_() for shape in ((2, 3, 4, 4), (3, 3, 3, 3)))
    gamma, beta = f64(lib, [1.0, 0.5, 2.0]).requires_grad_(), f64(lib, [0.1, -0.2, 0.3]).requires_grad_()
    out = F.batch_norm(F.conv2d(x, w, padding=1), None, None, gamma, beta, training=True)
    out += x  # in place on batch norm's output, which its backward does not read
    relu = lib.nn.ReLU(inplace=True)
    assert relu(out) is out and repr(relu) == "ReLU(inplace=True)"
    pooled = F.avg_pool2d(out, 2)
    pooled *= 3  # in place on the pool's output (its backward reads shapes only)
    (pooled * f64(lib, np.linspace(-1, 1, pooled.numel()).reshape(2, 3, 2, 2))).sum().backward()
    return [t.grad for t in (x, w, gamma, beta)]


def test_in_place_after_batch_norm_and_pooling_works_as_in_pytorch():
    assert_same(_residual_block_gradients)


def _in_place_relu_at_zero(lib):
    "relu_'s gradient is relu's: 0 where the input is exactly 0 (clamp_(min=0) would pass it there)."
    a = f64(lib, [-1.0, 0.0, 2.0, 0.0]).requires_grad_()
    b = f64(lib, [3.0, 5.0, -1.0, 0.0]).requires_grad_()
    h = a * b
    assert h.relu_() is h
    (h * f64(lib, [1.0, 2.0, 3.0, 4.0])).sum().backward()
    return [h, a.grad, b.grad]


def test_in_place_relu_equals_pytorchs():
    assert_same(_in_place_relu_at_zero)
    leaf = tt.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        tt.nn.ReLU(inplace=True)(leaf)
    x = tt.tensor([-1.0, 2.0])
    assert tt.nn.ReLU(inplace=True)(x) is x and x.tolist() == [0.0, 2.0] and x._version == 1
    assert repr(tt.nn.ReLU()) == "ReLU()"


def test_a_fused_optimizer_step_also_refuses_a_stale_backward():
    from tinytorch.acceleration import FusedAdam

    model = tt.nn.Linear(3, 2)
    optimizer = FusedAdam(model.parameters(), lr=0.1)
    x = tt.ones(4, 3, requires_grad=True)
    model(x).pow(2).sum().backward()
    optimizer.step()  # the first step moves the parameters into one flat array
    loss = model(x).pow(2).sum()
    loss.backward(retain_graph=True)
    optimizer.step()  # one flat update that every parameter views
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_optimizer_style_update_keeps_parameters_and_graph_free():
    model = tt.nn.Linear(3, 2)
    weight = model.weight
    loss = model(tt.ones(4, 3)).sum()
    loss.backward()
    expected = weight.data - 0.1 * weight.grad.data
    with tt.no_grad():
        for param in model.parameters():
            param -= 0.1 * param.grad
    assert model.weight is weight and weight.grad_fn is None and weight.is_leaf and weight.requires_grad
    np.testing.assert_allclose(model.weight.data, expected, rtol=1e-6)


# ------------------------------------------------------------- creation and maths functions (02, 07)

def _creation(lib):
    base = f64(lib, [[1, 2, 3], [4, 5, 6]])
    return [lib.linspace(-1, 2, 7, dtype=lib.float64), lib.eye(3, dtype=lib.float64), lib.eye(2, 3, dtype=lib.float64),
            lib.zeros_like(base), lib.ones_like(base), lib.full_like(base, 2.5),
            lib.tensor([True, False]).all(), lib.tensor([True, False]).any()]


def _functions(lib):
    x = f64(lib, [0.2, 1.5, 2.5])
    return [lib.sin(x), lib.cos(x), lib.exp(x), lib.log(x), lib.sqrt(x), x.pow(3), x.pow(x),
            lib.matmul(f64(lib, [[1, 2], [3, 4]]), f64(lib, [1, -1]))]


def test_creation_and_function_forms_equal_pytorch():
    assert_same(_creation)
    assert_same(_functions)
    assert tt.linspace(0, 1, 5).dtype == tt.float32 and tt.eye(2).dtype == tt.float32


GRADIENT_FUNCTIONS = [
    ("sin", lambda lib, x: lib.sin(x) * x),
    ("cos", lambda lib, x: lib.cos(x * 2) * 3),
    ("pow_method", lambda lib, x: x.pow(3) + (x * x + 1).pow(x)),
    ("exp_log_sqrt", lambda lib, x: lib.sqrt(lib.exp(x)) + lib.log(x * x)),
]


@pytest.mark.parametrize("name, body", GRADIENT_FUNCTIONS, ids=[g[0] for g in GRADIENT_FUNCTIONS])
def test_function_gradients_equal_pytorch(name, body):
    assert_same(_grad_case(body))


def test_module_double_converts_parameters_in_place():
    model = tt.nn.Sequential(tt.nn.Linear(2, 3), tt.nn.ReLU(), tt.nn.Linear(3, 1))
    weights = list(model.parameters())
    assert model.double() is model
    assert all(p.dtype == tt.float64 for p in model.parameters())
    assert [id(p) for p in model.parameters()] == [id(p) for p in weights], "the same Parameter objects"
    assert model(tt.ones(4, 2, dtype=tt.float64)).dtype == tt.float64
    assert all(p.dtype == tt.float32 for p in model.float().parameters())


# ------------------------------------------------------------------------- tt.save / tt.load (04)

def test_save_load_round_trips_state_dicts_optimizer_state_and_nests(tmp_path):
    model = tt.nn.Sequential(tt.nn.Linear(3, 4), tt.nn.ReLU(), tt.nn.Linear(4, 2))
    optimizer = tt.optim.Adam(model.parameters(), lr=0.01)
    model(tt.ones(5, 3)).sum().backward()
    optimizer.step()
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3,
                  "history": [0.5, 0.25], "note": None, "pair": (tt.arange(3), np.eye(2))}
    path = tmp_path / "checkpoint.pt"
    tt.save(checkpoint, path)
    loaded = tt.load(path)
    assert list(loaded["model"]) == list(model.state_dict()) and loaded["epoch"] == 3 and loaded["note"] is None
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded["model"][name].numpy(), value.numpy())
        assert loaded["model"][name].dtype == value.dtype
    restored = tt.nn.Sequential(tt.nn.Linear(3, 4), tt.nn.ReLU(), tt.nn.Linear(4, 2))
    restored.load_state_dict(loaded["model"])
    np.testing.assert_array_equal(restored(tt.ones(2, 3)).numpy(), model(tt.ones(2, 3)).numpy())
    other = tt.optim.Adam(restored.parameters(), lr=0.5)
    other.load_state_dict(loaded["optimizer"])
    assert other.param_groups[0]["lr"] == 0.01 and other.param_groups[0]["betas"] == (0.9, 0.999)
    assert isinstance(loaded["pair"], tuple) and loaded["pair"][0].dtype == tt.int64
    np.testing.assert_array_equal(loaded["pair"][1], np.eye(2))


def test_save_load_round_trips_dtypes(tmp_path):
    path = tmp_path / "dtypes.pt"
    tt.save({"compute": tt.float16, "all": [tt.float32, tt.float64, tt.int32, tt.int64, tt.bool]}, path)
    loaded = tt.load(path)
    assert loaded["compute"] is tt.float16 and all(a is b for a, b in zip(loaded["all"], [tt.float32, tt.float64,
                                                                                         tt.int32, tt.int64, tt.bool]))


def test_load_refuses_foreign_and_damaged_files_clearly(tmp_path):
    foreign = tmp_path / "torch.pt"
    torch.save({"w": torch.ones(2)}, foreign)
    with pytest.raises(ValueError, match="not a file written by tinytorch.save"):
        tt.load(foreign)
    damaged = tmp_path / "damaged.pt"
    tt.save({"w": tt.ones(2)}, damaged)
    damaged.write_bytes(damaged.read_bytes()[:40])
    with pytest.raises(ValueError, match="not a file written by tinytorch.save"):
        tt.load(damaged)
    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.ones(2))
    with pytest.raises(ValueError, match="structure"):
        tt.load(plain)
    with pytest.raises(TypeError, match="cannot store a set"):
        tt.save({1, 2}, tmp_path / "set.pt")
