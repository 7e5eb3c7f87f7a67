"""Module buffers (04's register_buffer, named_buffers, buffers, state_dict) and 09's BatchNorm2d keeping its
running statistics as buffers, with PyTorch's semantics and key names (issue 14)."""
from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
from tests.reference import needs_torch, torch


class Stats(tt.nn.Module):
    "A module with a parameter, a persistent buffer, a non-persistent buffer and a None buffer."

    def __init__(self):
        self.weight = tt.nn.Parameter(np.ones(2, np.float32))
        self.register_buffer("total", tt.tensor(np.zeros(2, np.float32)))
        self.register_buffer("scratch", tt.tensor(np.ones(3)), persistent=False)
        self.register_buffer("unused", None)

    def forward(self, x):
        return x * self.weight


def test_buffers_are_found_and_not_trained():
    model = tt.nn.Sequential(Stats(), Stats())
    assert [name for name, _ in model.named_buffers()] == ["0.total", "0.scratch", "1.total", "1.scratch"]
    assert len(list(model.buffers())) == 4 and len(list(model.parameters())) == 2
    assert [name for name, _ in model[0].named_buffers(prefix="first", recurse=False)] == ["first.total", "first.scratch"]


def test_state_dict_holds_persistent_buffers_after_each_modules_parameters():
    model = tt.nn.Sequential(Stats(), tt.nn.Linear(2, 2))
    assert list(model.state_dict()) == ["0.weight", "0.total", "1.weight", "1.bias"]
    model[0].total.data[...] = 5
    state = model.state_dict()
    assert not np.shares_memory(state["0.total"].data, model[0].total.data)
    fresh = tt.nn.Sequential(Stats(), tt.nn.Linear(2, 2))
    kept = fresh[0].total
    fresh.load_state_dict(state)
    assert fresh[0].total is kept and np.all(kept.data == 5), "buffers load in place, like parameters"
    del state["0.total"]
    with pytest.raises(KeyError, match="0.total"):
        fresh.load_state_dict(state)


def test_reassigning_a_buffer_keeps_it_a_buffer_and_double_converts_floats():
    stats = Stats()
    stats.total = tt.tensor(np.full(2, 3.0, np.float32))
    assert [name for name, _ in stats.named_buffers()] == ["total", "scratch"]
    stats.double()
    assert stats.total.dtype == np.float64 and stats.weight.dtype == np.float64
    bn = tt.nn.BatchNorm2d(2).double()
    assert bn.num_batches_tracked.data.dtype == np.int64, "integer buffers keep their dtype under .double()"


def test_register_buffer_errors():
    stats = Stats()
    with pytest.raises(TypeError, match="Tensor or None"):
        stats.register_buffer("bad", np.zeros(2))
    with pytest.raises(KeyError, match="weight"):
        stats.register_buffer("weight", tt.tensor(np.zeros(2)))
    with pytest.raises(KeyError, match="valid attribute name"):
        stats.register_buffer("a.b", tt.tensor(np.zeros(2)))


def test_batchnorm_without_running_stats_has_no_buffers():
    bn = tt.nn.BatchNorm2d(3, track_running_stats=False)
    assert list(bn.state_dict()) == ["weight", "bias"] and list(bn.buffers()) == []


@needs_torch
@pytest.mark.parametrize("kwargs", [dict(), dict(affine=False), dict(momentum=None), dict(track_running_stats=False)])
def test_batchnorm_state_dict_matches_pytorch(kwargs):
    ours, theirs = tt.nn.BatchNorm2d(3, **kwargs).double(), torch.nn.BatchNorm2d(3, **kwargs).double()
    x = np.random.default_rng(0).standard_normal((4, 3, 5, 5))
    for _ in range(3):
        ours(tt.tensor(x)), theirs(torch.tensor(x))
    a, b = ours.state_dict(), theirs.state_dict()
    assert list(a) == list(b)
    for name in a:
        np.testing.assert_allclose(a[name].numpy(), b[name].numpy(), rtol=1e-12, err_msg=name)
    assert [name for name, _ in ours.named_buffers()] == [name for name, _ in theirs.named_buffers()]


@needs_torch
def test_batchnorm_loads_pytorchs_state_dict():
    theirs = torch.nn.BatchNorm2d(3).double()
    theirs(torch.tensor(np.random.default_rng(1).standard_normal((4, 3, 5, 5))))
    ours = tt.nn.BatchNorm2d(3).double()
    ours.load_state_dict({name: tt.tensor(value.numpy()) for name, value in theirs.state_dict().items()})
    assert int(ours.num_batches_tracked.data) == 1
    np.testing.assert_array_equal(ours.running_var.numpy(), theirs.running_var.numpy())


def test_save_and_load_keep_a_zero_dimensional_tensor(tmp_path):
    "num_batches_tracked is 0-d: a round trip through tt.save / tt.load keeps its shape ()."
    path = tmp_path / "bn.pt"
    tt.save(tt.nn.BatchNorm2d(2).state_dict(), path)
    assert tt.load(path)["num_batches_tracked"].shape == ()
