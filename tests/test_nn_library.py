"""The library of modules 04–08 as a user meets it: layers, losses, optimizers, schedulers and the
trainer, checked against hand-computed values, PyTorch (when installed) and their error messages."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import tinytorch as tt
from course import ROOT
from tests.reference import needs_torch, torch


# -- layers -------------------------------------------------------------------------------------
def test_modules_find_parameters_in_assignment_order_with_dotted_names():
    model = tt.nn.Sequential(tt.nn.Linear(4, 3), tt.nn.ReLU(), tt.nn.Sequential(tt.nn.Linear(3, 2, bias=False)))
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.0.weight"]
    shared = tt.nn.Linear(2, 2)
    assert len(list(tt.nn.Sequential(shared, shared).parameters())) == 2, "a shared layer's parameters count once"
    assert repr(model).startswith("Sequential(\n  (0): Linear(in_features=4, out_features=3, bias=True)")


def test_linear_initialisation_is_pytorchs_and_seedable():
    tt.manual_seed(3)
    a = tt.nn.Linear(400, 300)
    tt.manual_seed(3)
    b = tt.nn.Linear(400, 300)
    assert np.array_equal(a.weight.numpy(), b.weight.numpy())
    bound = 1 / np.sqrt(400)
    w = a.weight.numpy()
    assert w.shape == (300, 400) and w.dtype == np.float32 and np.abs(w).max() <= bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.01 * bound, "U(-b, b) has standard deviation b/√3"


@pytest.mark.parametrize("rows, n_in, n_out, dtype", [(64, 784, 256, np.float32), (8, 64, 256, np.float32),
                                                      (3, 784, 256, np.float32), (128, 784, 256, np.float32),
                                                      (64, 128, 10, np.float32), (64, 256, 1024, np.float32),
                                                      (64, 784, 256, np.float64)])
def test_linear_forward_layouts_give_the_plain_product_in_row_order(rows, n_in, n_out, dtype):
    "Either way of computing x @ W.T (see 04's _rows_times_transposed) returns its numbers in a C-ordered array."
    data = np.random.default_rng(rows + n_in + n_out)
    x, w, b = (data.standard_normal(shape).astype(dtype) for shape in ((rows, n_in), (n_out, n_in), (n_out,)))
    y = tt.nn.functional.linear(tt.from_numpy(x), tt.from_numpy(w), tt.from_numpy(b))
    assert y.dtype == dtype and y.data.flags.c_contiguous and y.data.flags.owndata and y.is_contiguous()
    np.testing.assert_allclose(y.numpy(), x @ w.T + b, rtol=1e-5, atol=1e-5)
    assert y.view(-1).shape == (rows * n_out,)


def test_train_eval_and_dropout():
    tt.manual_seed(0)
    model = tt.nn.Sequential(tt.nn.Dropout(0.25))
    x = tt.ones(200, 100)
    y = model(x).numpy()
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)} and abs((y == 0).mean() - 0.25) < 0.02
    assert model.eval() is model and not model[0].training
    assert np.array_equal(model(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match="between 0 and 1"):
        tt.nn.Dropout(1.5)


def test_flatten_and_linear_shape_errors():
    assert tt.nn.Flatten()(tt.zeros(5, 1, 8, 8)).shape == (5, 64)
    with pytest.raises(ValueError, match=r"\(5, 3\).*\(2, 4\)"):
        tt.nn.functional.linear(tt.zeros(5, 3), tt.zeros(2, 4))


def test_state_dict_round_trip_and_errors():
    tt.manual_seed(1)
    source, target = tt.nn.Linear(3, 2), tt.nn.Linear(3, 2)
    weight = target.weight
    target.load_state_dict(source.state_dict())
    assert target.weight is weight and np.array_equal(target.weight.numpy(), source.weight.numpy())
    state = source.state_dict()
    state["extra"] = tt.zeros(1)
    del state["bias"]
    with pytest.raises(KeyError, match=r"missing keys \['bias'\], unexpected keys \['extra'\]"):
        target.load_state_dict(state)
    with pytest.raises(ValueError, match=r"'weight'.*\(2, 2\).*\(2, 3\)"):
        target.load_state_dict({"weight": np.zeros((2, 2)), "bias": np.zeros(2)})


def test_forward_hooks_see_and_can_replace_outputs():
    layer = tt.nn.Linear(2, 2)
    seen = []
    handle = layer.register_forward_hook(lambda module, args, output: seen.append(output.shape))
    layer.register_forward_pre_hook(lambda module, args: (args[0] * 0,))
    out = layer(tt.ones(3, 2))
    assert seen == [(3, 2)] and np.allclose(out.numpy(), layer.bias.numpy())
    handle.remove()
    layer(tt.ones(3, 2))
    assert seen == [(3, 2)]


# -- losses -------------------------------------------------------------------------------------
def test_losses_on_hand_computed_values():
    logits = tt.tensor([[2.0, 0.0], [0.0, 0.0]])
    expected = np.mean([np.log(1 + np.exp(-2.0)), np.log(2.0)])
    assert np.isclose(tt.nn.CrossEntropyLoss()(logits, tt.tensor([0, 1])).item(), expected)
    assert tt.nn.MSELoss(reduction="sum")(tt.tensor([1.0, 2.0]), tt.tensor([0.0, 0.0])).item() == 5.0
    assert tt.nn.BCELoss()(tt.tensor([0.0, 1.0]), tt.tensor([1.0, 1.0])).item() == 50.0, "log clamped at -100"
    huge = tt.nn.BCEWithLogitsLoss(reduction="none")(tt.tensor([1000.0, -1000.0]), tt.tensor([0.0, 0.0]))
    assert np.allclose(huge.numpy(), [1000.0, 0.0])


@pytest.mark.parametrize("labels, error, message", [
    ([0.0, 1.0], TypeError, r"integer dtype.*\.long\(\)"),
    ([0, 3], IndexError, r"target 3 is out of range for 3 classes"),
    ([0], ValueError, r"\(2, 3\).*\(2,\)"),
])
def test_cross_entropy_rejects_bad_labels_clearly(labels, error, message):
    with pytest.raises(error, match=message):
        tt.nn.functional.cross_entropy(tt.zeros(2, 3), tt.tensor(labels))


def test_unknown_reduction_and_shape_mismatch():
    with pytest.raises(ValueError, match="reduction must be"):
        tt.nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match=r"\(3,\).*\(3, 1\)"):
        tt.nn.functional.mse_loss(tt.zeros(3), tt.zeros(3, 1))
    with pytest.raises(ValueError, match=r"\(N, C\).*got \(3,\)"):  # not NumPy's AxisError from log_softmax
        tt.nn.functional.cross_entropy(tt.zeros(3), tt.tensor(1))


# -- optimizers and schedulers ------------------------------------------------------------------
OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.5, eps=1e-6)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1, momentum=0.5, centered=True)),
    ("RMSprop", dict(lr=0.02, momentum=0.9)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.05, initial_accumulator_value=0.1, eps=1e-8)),
]


@needs_torch
@pytest.mark.parametrize("name, settings", OPTIMIZERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIMIZERS)])
def test_optimizer_steps_equal_pytorch(name, settings):
    data = np.random.default_rng(0)
    start, grads = data.standard_normal((3, 4)), data.standard_normal((6, 3, 4))
    ours, theirs = tt.nn.Parameter(start.copy()), torch.nn.Parameter(torch.tensor(start))
    ours_opt, theirs_opt = getattr(tt.optim, name)([ours], **settings), getattr(torch.optim, name)([theirs], **settings)
    for grad in grads:
        ours.grad, theirs.grad = tt.tensor(grad), torch.tensor(grad)
        ours_opt.step()
        theirs_opt.step()
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    ours_state, theirs_state = ours_opt.state[ours], theirs_opt.state[theirs]  # keyed by the parameter in both
    assert sorted(ours_state) == sorted(theirs_state)
    for key, value in theirs_state.items():
        np.testing.assert_allclose(np.asarray(ours_state[key]), value.numpy() if torch.is_tensor(value) else value,
                                   rtol=1e-12, atol=1e-14, err_msg=key)


def test_tensors_hash_by_identity_as_pytorchs():
    a, b = tt.tensor([1.0, 2.0]), tt.tensor([1.0, 2.0])
    seen = {a}
    assert a in seen and b not in seen and len({a, b}) == 2  # equal values, two tensors
    key = hash(a)
    a += 1  # an in-place change keeps the tensor and its hash
    assert hash(a) == key and {a: "x"}[a] == "x"
    p = tt.nn.Parameter(np.ones(2))
    opt = tt.optim.SGD([p], lr=0.1)
    assert opt.state[p] == {} and p in opt.state  # PyTorch's defaultdict: asking adds an empty state


def test_optimizer_updates_in_place_and_rejects_bad_settings():
    p = tt.nn.Parameter(np.ones(3, np.float32))
    array = p.data
    opt = tt.optim.SGD([p], lr=0.5)
    p.grad = tt.ones(3)
    opt.step()
    assert p.data is array and p.dtype == tt.float32 and p.tolist() == [0.5] * 3
    opt.zero_grad()
    assert p.grad is None
    with pytest.raises(ValueError, match="empty parameter list"):
        tt.optim.Adam([])
    with pytest.raises(ValueError, match="learning rate"):
        tt.optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        tt.optim.SGD([p], lr=0.1, nesterov=True)


def test_optimizer_state_dict_round_trip():
    p = tt.nn.Parameter(np.ones(3))
    opt = tt.optim.Adam([p], lr=0.1)
    for _ in range(3):
        p.grad = tt.tensor([1.0, -2.0, 0.5])
        opt.step()
    q = tt.nn.Parameter(p.numpy().copy())
    restored = tt.optim.Adam([q], lr=0.1)
    restored.load_state_dict(opt.state_dict())
    p.grad, q.grad = tt.tensor([0.3, 0.3, 0.3]), tt.tensor([0.3, 0.3, 0.3])
    opt.step()
    restored.step()
    assert np.array_equal(p.numpy(), q.numpy())


@needs_torch
@pytest.mark.parametrize("name, settings", [("StepLR", dict(step_size=3, gamma=0.5)),
                                            ("CosineAnnealingLR", dict(T_max=10, eta_min=0.01))])
def test_schedulers_follow_pytorch(name, settings):
    ours_opt = tt.optim.SGD([tt.nn.Parameter(np.zeros(1))], lr=0.1)
    theirs_opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    ours = getattr(tt.optim.lr_scheduler, name)(ours_opt, **settings)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **settings)
    for _ in range(12):
        theirs_opt.step()
        ours.step()
        theirs.step()
        assert np.isclose(ours.get_last_lr()[0], theirs.get_last_lr()[0], rtol=1e-12), ours.last_epoch


# -- training -----------------------------------------------------------------------------------
def digits_trainer(seed: int = 0, **settings):
    tt.manual_seed(seed)
    model = tt.nn.Sequential(tt.nn.Linear(64, 128), tt.nn.ReLU(), tt.nn.Linear(128, 10))
    optimizer = tt.optim.Adam(model.parameters(), lr=1e-3)
    return tt.Trainer(model, tt.nn.CrossEntropyLoss(), optimizer, seed=seed, **settings)


@pytest.fixture(scope="module")
def digits():
    X, y = tt.load_digits()
    return tt.train_test_split(X, y, test_size=0.2, seed=0)


def test_digits_data_is_shipped_and_complete():
    X, y = tt.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32 and 0 <= X.min() and X.max() == 1
    assert y.dtype == np.int64 and np.bincount(y).min() >= 170


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_milestone_mlp_reaches_95_percent_on_digits(digits, seed):
    X_train, X_test, y_train, y_test = digits
    trainer = digits_trainer(seed)
    trainer.fit(X_train, y_train, epochs=30, batch_size=64, progress=False)
    assert trainer.evaluate(X_test, y_test)["accuracy"] >= 0.95


def test_checkpoint_resume_equals_uninterrupted_training(digits, tmp_path):
    X_train, _, y_train, _ = digits
    straight = digits_trainer(scheduler=None)
    straight.fit(X_train, y_train, epochs=4, progress=False)
    first = digits_trainer()
    first.fit(X_train, y_train, epochs=2, progress=False)
    first.save_checkpoint(tmp_path / "run.npz")
    resumed = digits_trainer()
    resumed.load_checkpoint(tmp_path / "run.npz")
    resumed.fit(X_train, y_train, epochs=2, progress=False)
    for a, b in zip(straight.model.parameters(), resumed.model.parameters()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)
    assert resumed.history["loss"] == pytest.approx(straight.history["loss"], rel=1e-6)


def test_early_stopping_restores_the_best_weights(digits):
    X_train, X_test, y_train, y_test = digits
    trainer = digits_trainer()
    stopper = tt.EarlyStopping(patience=2, monitor="val_loss")
    snapshots = []
    trainer.fit(X_train, y_train, epochs=60, val_data=(X_test, y_test), early_stopping=stopper, progress=False,
                on_epoch_end=lambda epoch, metrics: snapshots.append(trainer.model.state_dict()))
    assert len(trainer.history["val_loss"]) < 60, "validation loss should stop improving within 60 epochs"
    best = snapshots[stopper.best_epoch - 1]
    for name, value in trainer.model.state_dict().items():
        assert np.array_equal(value.numpy(), best[name].numpy()), name


def test_nan_stops_training_with_a_clear_message(digits):
    X_train, _, y_train, _ = digits
    broken = X_train.copy()
    broken[5, 3] = np.nan
    with pytest.raises(tt.NonFiniteError, match="nan.*epoch 1"):
        digits_trainer().fit(broken, y_train, epochs=1, progress=False)


@needs_torch
def test_clip_grad_norm_equals_pytorch():
    grads = [np.random.default_rng(i).standard_normal(s) for i, s in enumerate([(3, 4), (5,)])]
    ours = [tt.nn.Parameter(np.zeros(g.shape)) for g in grads]
    theirs = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = tt.tensor(g), torch.tensor(g)
    assert np.isclose(tt.nn.utils.clip_grad_norm_(ours, 1.0), torch.nn.utils.clip_grad_norm_(theirs, 1.0).item())
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6)
    one, its_twin = tt.nn.Parameter(np.zeros(2)), torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    one.grad, its_twin.grad = tt.tensor([3.0, -4.0], dtype=tt.float64), torch.tensor([3.0, -4.0], dtype=torch.float64)
    norm = tt.nn.utils.clip_grad_norm_(one, 1.0)  # one tensor, not a list: clipped as a whole, as in PyTorch
    assert np.isclose(norm, torch.nn.utils.clip_grad_norm_(its_twin, 1.0).item())
    np.testing.assert_allclose(one.grad.numpy(), its_twin.grad.numpy(), rtol=1e-6)


@needs_torch
def test_init_uniform_defaults_and_names_are_pytorchs():
    t = tt.nn.init.uniform_(tt.zeros(1000))
    assert 0 <= t.min().item() and t.max().item() < 1  # U(0, 1) by default, as torch.nn.init.uniform_
    t = tt.nn.init.uniform_(tt.zeros(1000), a=-3.0, b=-2.0)
    assert -3 <= t.min().item() and t.max().item() < -2
    torch.nn.init.uniform_(torch.empty(3), a=-3.0, b=-2.0)  # the same call runs in PyTorch


# -- the PyTorch-compatible surface --------------------------------------------------------------
def test_namespaces_mirror_pytorch():
    assert tt.nn.Linear is tt.layers.Linear and tt.nn.functional.cross_entropy is tt.cross_entropy
    assert tt.optim.lr_scheduler.CosineAnnealingLR is tt.optimizers.CosineAnnealingLR
    assert tt.nn.utils.clip_grad_norm_ is tt.training.clip_grad_norm_


def run_example(*args: str) -> str:
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "train_digits.py"), *args],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_pytorch_script_runs_with_import_tinytorch_as_torch():
    out = run_example("--epochs", "30")
    accuracy = float(out.split("test accuracy ")[1].split("%")[0])
    assert out.startswith("tinytorch:") and accuracy >= 95


@needs_torch
def test_the_same_script_runs_with_pytorch():
    out = run_example("--torch", "--epochs", "30")
    assert out.startswith("torch:") and float(out.split("test accuracy ")[1].split("%")[0]) >= 95
