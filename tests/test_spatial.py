"""Module 09 (tinytorch.spatial): convolution, pooling and batch normalisation against PyTorch in float64
(values and gradients) over a table of cases, against central differences, PyTorch's initialisation and
errors, and module 19's FLOP count and profiler for the new ops."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.benchmarking as bm
from tests.reference import (assert_gradients_match_central_differences, assert_matches_torch, needs_torch,
                             torch)

F = tt.nn.functional
rng = np.random.default_rng(9)


def normal(*shape):
    return rng.standard_normal(shape)


def tf():
    return torch.nn.functional


# id, input shape, weight shape, keyword arguments, with bias
CONV_CASES = [
    ("plain", (2, 3, 7, 6), (4, 3, 3, 3), {}, True),
    ("stride_padding", (2, 3, 7, 6), (4, 3, 3, 2), dict(stride=2, padding=1), True),
    ("pairs_dilation_groups", (1, 4, 9, 8), (6, 2, 3, 3), dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2), True),
    ("same_dilated_nonsquare", (2, 3, 7, 6), (4, 3, 2, 3), dict(padding="same", dilation=2), True),
    ("same_even_kernel", (2, 3, 7, 6), (4, 3, 4, 4), dict(padding="same"), True),
    ("valid_1x1", (2, 3, 5, 5), (5, 3, 1, 1), dict(padding="valid"), True),
    ("depthwise_no_bias", (1, 6, 6, 6), (6, 1, 3, 3), dict(groups=6, padding=1), False),
    ("stride_leaves_rows", (2, 3, 8, 8), (4, 3, 3, 3), dict(stride=3), True),
    ("batch_1_1x1_stride", (1, 2, 5, 7), (3, 2, 1, 1), dict(stride=2), False),
]


def conv_arrays(x_shape, w_shape, with_bias):
    return [normal(*x_shape), normal(*w_shape)] + ([normal(w_shape[0])] if with_bias else [])


@needs_torch
@pytest.mark.parametrize("name, x_shape, w_shape, kwargs, with_bias", CONV_CASES, ids=[c[0] for c in CONV_CASES])
def test_conv2d_matches_torch(name, x_shape, w_shape, kwargs, with_bias):
    assert_matches_torch(lambda x, w, *b: F.conv2d(x, w, *b, **kwargs),
                         lambda x, w, *b: tf().conv2d(x, w, *b, **kwargs), conv_arrays(x_shape, w_shape, with_bias))


@pytest.mark.parametrize("name, x_shape, w_shape, kwargs, with_bias", CONV_CASES[:4], ids=[c[0] for c in CONV_CASES[:4]])
def test_conv2d_central_differences(name, x_shape, w_shape, kwargs, with_bias):
    assert_gradients_match_central_differences(lambda x, w, *b: F.conv2d(x, w, *b, **kwargs),
                                               conv_arrays(x_shape, w_shape, with_bias))


@pytest.mark.parametrize("name, x_shape, w_shape, kwargs, with_bias", CONV_CASES, ids=[c[0] for c in CONV_CASES])
def test_loop_and_im2col_agree(name, x_shape, w_shape, kwargs, with_bias):
    x, w, *b = conv_arrays(x_shape, w_shape, with_bias)
    bias = b[0] if b else None
    geo = tt.spatial.ConvGeometry(x.shape, w.shape, **{k: v for k, v in kwargs.items()})
    fast, _ = tt.spatial._conv2d_forward(x, w, bias, geo)
    np.testing.assert_allclose(fast, tt.spatial.conv2d_loop(x, w, bias, **kwargs), rtol=1e-12, atol=1e-12)


POOL_CASES = [
    ("max_2", "max_pool2d", dict(kernel_size=2)),
    ("max_3_s2_p1", "max_pool2d", dict(kernel_size=3, stride=2, padding=1)),
    ("max_nonsquare_dilated", "max_pool2d", dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1), dilation=2)),
    ("avg_2", "avg_pool2d", dict(kernel_size=2)),
    ("avg_3_s2_p1", "avg_pool2d", dict(kernel_size=3, stride=2, padding=1)),
    ("avg_exclude_pad", "avg_pool2d", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ("adaptive_global", "adaptive_avg_pool2d", dict(output_size=1)),
    ("adaptive_uneven", "adaptive_avg_pool2d", dict(output_size=(3, 4))),
]


@needs_torch
@pytest.mark.parametrize("name, fn, kwargs", POOL_CASES, ids=[c[0] for c in POOL_CASES])
def test_pooling_matches_torch(name, fn, kwargs):
    x = normal(2, 3, 7, 9)
    x[0, 0, :2, :2] = 1.0  # a window of ties: the first gets the gradient, as in PyTorch
    assert_matches_torch(lambda t: getattr(F, fn)(t, **kwargs), lambda t: getattr(tf(), fn)(t, **kwargs), [x])


@pytest.mark.parametrize("name, fn, kwargs", [c for c in POOL_CASES if c[1] != "max_pool2d"],
                         ids=[c[0] for c in POOL_CASES if c[1] != "max_pool2d"])
def test_pooling_central_differences(name, fn, kwargs):
    assert_gradients_match_central_differences(lambda t: getattr(F, fn)(t, **kwargs), [normal(2, 2, 5, 7)])


@needs_torch
def test_max_pool_ties_and_overlaps_like_torch():
    x = np.zeros((1, 1, 5, 5))  # every window is a tie
    assert_matches_torch(lambda t: F.max_pool2d(t, 3, stride=1), lambda t: tf().max_pool2d(t, 3, stride=1), [x])


@needs_torch
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm2d_matches_torch(momentum):
    ours, theirs = tt.nn.BatchNorm2d(3, momentum=momentum, dtype=tt.float64), torch.nn.BatchNorm2d(3, momentum=momentum).double()
    weight, bias = normal(3), normal(3)
    ours.weight.data[...], ours.bias.data[...] = weight, bias
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(weight))
        theirs.bias.copy_(torch.tensor(bias))
    for _ in range(3):
        batch = normal(4, 3, 5, 5) * 2 + 1
        ours(tt.tensor(batch))
        theirs(torch.tensor(batch))
    np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-12)
    for training in (True, False):
        ours.train(training)
        theirs.train(training)
        x = normal(4, 3, 5, 5)
        tx, sx = torch.tensor(x, requires_grad=True), tt.tensor(x, requires_grad=True)
        ours.weight.grad = ours.bias.grad = theirs.weight.grad = theirs.bias.grad = None
        grad = normal(4, 3, 5, 5)
        out, expected = ours(sx), theirs(tx)
        np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
        out.backward(tt.tensor(grad))
        expected.backward(torch.tensor(grad))
        np.testing.assert_allclose(sx.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_batch_norm_central_differences():
    assert_gradients_match_central_differences(
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [normal(3, 2, 2, 3), normal(2), normal(2)])
    running_mean, running_var = tt.tensor(normal(2)), tt.tensor(np.abs(normal(2)) + 0.5)
    assert_gradients_match_central_differences(
        lambda x, w, b: F.batch_norm(x, running_mean, running_var, w, b), [normal(3, 2, 2, 3), normal(2), normal(2)])


@needs_torch
def test_conv2d_layer_init_and_repr_like_torch():
    tt.manual_seed(0)
    layer = tt.nn.Conv2d(8, 64, (3, 5), stride=2, padding=1, groups=2)
    reference = torch.nn.Conv2d(8, 64, (3, 5), stride=2, padding=1, groups=2)
    assert layer.weight.shape == tuple(reference.weight.shape) and layer.bias.shape == tuple(reference.bias.shape)
    bound = 1 / math.sqrt(4 * 15)
    for ours, theirs in ((layer.weight.data, reference.weight.detach().numpy()), (layer.bias.data, reference.bias.detach().numpy())):
        assert np.abs(ours).max() <= bound and np.abs(theirs).max() <= bound
    assert abs(layer.weight.data.std() - reference.weight.detach().numpy().std()) < 0.1 * bound
    assert repr(layer) == repr(reference), (repr(layer), repr(reference))
    assert repr(tt.nn.Conv2d(1, 2, 3, bias=False)) == repr(torch.nn.Conv2d(1, 2, 3, bias=False))
    for padding in ("same", "valid", 1, (2, 0)):
        assert repr(tt.nn.Conv2d(1, 2, 3, padding=padding)) == repr(torch.nn.Conv2d(1, 2, 3, padding=padding))


@pytest.mark.parametrize("call, contains", [
    (lambda: F.conv2d(tt.ones(1, 3, 8, 8), tt.ones(16, 4, 3, 3)), ["(1, 3, 8, 8)", "(16, 4, 3, 3)"]),
    (lambda: F.conv2d(tt.ones(3, 8, 8), tt.ones(16, 3, 3, 3)), ["4-d", "(3, 8, 8)"]),
    (lambda: F.conv2d(tt.ones(1, 3, 2, 2), tt.ones(4, 3, 3, 3)), ["smaller than the kernel"]),
    (lambda: F.conv2d(tt.ones(1, 3, 8, 8), tt.ones(4, 3, 3, 3), stride=2, padding="same"), ["same"]),
    (lambda: F.conv2d(tt.ones(1, 3, 8, 8), tt.ones(4, 3, 3, 3), tt.ones(3)), ["(4,)", "(3,)"]),
    (lambda: tt.nn.Conv2d(3, 4, 3, groups=2), ["divisible by groups"]),
    (lambda: tt.nn.Conv2d(3, 4, 3, padding_mode="reflect"), ["padding_mode"]),
    (lambda: F.max_pool2d(tt.ones(1, 1, 4, 4), 2, padding=2), ["half"]),
    (lambda: tt.nn.BatchNorm2d(3)(tt.ones(2, 4, 5, 5)), ["(4,)", "(3,)"]),
    (lambda: tt.nn.BatchNorm2d(3)(tt.ones(2, 3)), ["4-d"]),
])
def test_bad_arguments_say_what_is_wrong(call, contains):
    with pytest.raises(ValueError) as error:
        call()
    for text in contains:
        assert text in str(error.value), (text, str(error.value))


def test_pytorch_names():
    assert tt.nn.Conv2d is tt.spatial.Conv2d and tt.nn.functional.conv2d is tt.spatial.conv2d
    for name in ("MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm2d"):
        assert getattr(tt.nn, name) is getattr(tt.spatial, name)
    for name in ("max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "batch_norm"):
        assert getattr(tt.nn.functional, name) is getattr(tt.spatial, name)


def small_cnn():
    tt.manual_seed(0)
    return tt.nn.Sequential(tt.nn.Conv2d(1, 16, 3, padding=1), tt.nn.ReLU(), tt.nn.MaxPool2d(2),
                            tt.nn.Conv2d(16, 32, 3, padding=1, groups=2), tt.nn.BatchNorm2d(32), tt.nn.ReLU(),
                            tt.nn.AdaptiveAvgPool2d(1), tt.nn.Flatten(), tt.nn.Linear(32, 10))


def test_count_flops_knows_the_spatial_layers():
    "Module 19's count_flops counts Conv2d exactly (groups included) and pooling and batch norm by their rules."
    report = bm.count_flops(small_cnn(), tt.tensor(np.zeros((4, 1, 8, 8), np.float32)))
    assert report.not_counted == []
    conv1, conv2 = report.layers[0], report.layers[3]
    assert (conv1.macs, conv1.forward_flops) == (4 * 16 * 64 * 9, 2 * 4 * 16 * 64 * 9 + 4 * 16 * 64)
    assert conv2.macs == 4 * 32 * 16 * 8 * 9 and conv2.backward_flops == 4 * conv2.macs + 4 * 32 * 16
    assert report.layers[2].forward_flops == 4 * 16 * 16 * 4  # max pooling: one comparison per window element


def test_profiler_sees_conv_and_pooling():
    model = small_cnn()
    x = tt.tensor(np.random.default_rng(0).standard_normal((4, 1, 8, 8)).astype(np.float32))
    with bm.Profiler() as profiler:
        model(x).sum().backward()
    rows = {op.name: op for op in profiler.operations()}
    for name in ("conv2d", "conv2dBackward", "max_pool2d", "max_pool2dBackward", "batch_norm", "adaptive_avg_pool2d"):
        assert name in rows, (name, sorted(rows))
    assert rows["conv2d"].flops == sum(layer.forward_flops for layer in bm.count_flops(model, x).layers
                                       if layer.kind == "Conv2d")


def test_memory_of_im2col_is_the_kernel_area():
    "The columns conv2d keeps are kh·kw times the input with 'same' padding (module 19's MemoryTracker reads it)."
    x = np.random.default_rng(0).standard_normal((8, 4, 16, 16)).astype(np.float32)
    geo = tt.spatial.ConvGeometry(x.shape, (8, 4, 3, 3), padding=1)
    with bm.MemoryTracker() as tracker:
        cols = tt.spatial._columns(x, geo)
    assert cols.nbytes == 9 * x.nbytes
    assert tracker.peak_bytes >= cols.nbytes


def test_profiler_with_keyword_arguments():
    "A node's backward cost is read from its tensor inputs alone: the pooling rules work without kernel_size."
    x = tt.tensor(np.random.default_rng(1).standard_normal((2, 3, 6, 6)), requires_grad=True)
    with bm.Profiler() as profiler:
        (F.avg_pool2d(x, kernel_size=2).sum() + F.adaptive_avg_pool2d(x, output_size=1).sum()
         + F.max_pool2d(x, kernel_size=3, stride=1).sum()).backward()
    rows = {op.name: op for op in profiler.operations()}
    assert rows["avg_pool2dBackward"].flops == 2 * 3 * 9 * 4 and rows["max_pool2dBackward"].flops == 2 * 3 * 16
