"""Module 17's library, `tinytorch.quantization`: bfloat16 rounding, loss scaling, int8 quantisation and the
quantised layers, checked against PyTorch where it has the same thing (bfloat16 conversion, quantize_per_tensor
and quantize_per_channel, GradScaler's scale schedule) and against independent statements otherwise."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinytorch as tt
import tinytorch.quantization as q
from tests.reference import needs_torch, torch

PROPERTY = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def all_float32_patterns(step: int = 9973) -> np.ndarray:
    "Every step-th 32-bit pattern as float32 (NaNs, infinities, subnormals and both zeros included)."
    patterns = np.arange(0, 2**32, step, dtype=np.uint64).astype(np.uint32)
    extra = np.array([0x7F800001, 0xFF800001, 0x7F80FFFF, 0x00018000, 0x00028000, 0x80008000, 0x7F7FFFFF,
                      0x7F7F8000, 0x3F808000, 0x3F818000], dtype=np.uint32)
    return np.concatenate([patterns, extra]).view(np.float32)


@needs_torch
def test_bfloat16_rounding_matches_torch_bit_for_bit():
    x = all_float32_patterns()
    ours = q.round_to_bfloat16(x)
    theirs = torch.from_numpy(x.copy()).to(torch.bfloat16).to(torch.float32).numpy()
    nan = np.isnan(theirs)
    assert np.array_equal(np.isnan(ours), nan)
    assert np.array_equal(ours[~nan].view(np.uint32), theirs[~nan].view(np.uint32))


def test_bfloat16_is_the_nearest_bfloat16_ties_to_even():
    magnitudes = 10.0 ** np.random.default_rng(1).integers(-30, 30, 5000)
    x = (np.random.default_rng(0).standard_normal(5000) * magnitudes).astype(np.float32)
    bits = x.view(np.uint32)
    down = (bits & np.uint32(0xFFFF0000)).view(np.float32)  # towards zero
    up = ((bits & np.uint32(0xFFFF0000)) + np.uint32(0x10000)).view(np.float32)  # away from zero
    ours = q.round_to_bfloat16(x)
    nearer_down = np.abs(x - down) < np.abs(up - x)
    tie = np.abs(x - down) == np.abs(up - x)
    even_down = ((down.view(np.uint32) >> 16) & 1) == 0
    expected = np.where(nearer_down | (tie & even_down), down, up)
    assert np.array_equal(ours, expected)


def test_float_formats_agree_with_numpy():
    for name in ("float64", "float32", "float16"):
        fmt, info = q.FORMATS[name], np.finfo(name)
        assert (fmt.eps, fmt.max, fmt.smallest_normal, fmt.smallest_subnormal) == (
            info.eps, info.max, info.smallest_normal, info.smallest_subnormal)
        for x in (1.0, 3.5, 1000.0, float(info.smallest_normal)):
            assert fmt.ulp(x) == float(np.spacing(np.array(x, dtype=name)))
    bf = q.FORMATS["bfloat16"]
    assert float(q.round_to_bfloat16(bf.max)) == bf.max and np.isinf(q.round_to_bfloat16(bf.max * (1 + bf.eps / 2)))


@needs_torch
@pytest.mark.parametrize("scale,zero_point", [(0.05, 0), (0.013, -20), (0.5, 100)])
def test_quantize_per_tensor_matches_torch(scale, zero_point):
    x = np.random.default_rng(2).standard_normal((7, 9)).astype(np.float32) * 3
    ours = q.quantize_per_tensor(x, scale, zero_point)
    theirs = torch.quantize_per_tensor(torch.from_numpy(x), scale, zero_point, torch.qint8)
    assert np.array_equal(ours.int_repr(), theirs.int_repr().numpy())
    np.testing.assert_allclose(ours.dequantize(), theirs.dequantize().numpy(), rtol=1e-6, atol=1e-7)


@needs_torch
def test_quantize_per_channel_matches_torch():
    x = np.random.default_rng(3).standard_normal((4, 3, 2)).astype(np.float32)
    scales, zero_points = np.array([0.01, 0.02, 0.05], np.float32), np.array([0, -3, 7], np.int32)
    ours = q.quantize_per_channel(x, scales, zero_points, axis=1)
    theirs = torch.quantize_per_channel(torch.from_numpy(x), torch.from_numpy(scales.astype(np.float64)),
                                        torch.from_numpy(zero_points.astype(np.int64)), 1, torch.qint8)
    assert np.array_equal(ours.int_repr(), theirs.int_repr().numpy())
    np.testing.assert_allclose(ours.dequantize(), theirs.dequantize().numpy(), rtol=1e-6, atol=1e-7)


@needs_torch
def test_minmax_observer_matches_torch_asymmetric_qparams():
    x = np.random.default_rng(4).standard_normal(1000).astype(np.float32) * 2 + 0.7
    observer = q.MinMaxObserver(bits=8, symmetric=False)
    observer(x)
    scale, zero_point = observer.calculate_qparams()
    reference = torch.ao.quantization.MinMaxObserver(dtype=torch.qint8, qscheme=torch.per_tensor_affine)
    reference(torch.from_numpy(x))
    their_scale, their_zero_point = reference.calculate_qparams()
    assert float(scale) == pytest.approx(float(their_scale), rel=1e-6)
    assert abs(int(zero_point) - int(their_zero_point)) <= 1  # PyTorch rounds the zero point of the float range itself


@given(st.lists(st.floats(-1e4, 1e4, allow_nan=False, width=32), min_size=1, max_size=50),
       st.integers(2, 8), st.booleans())
@PROPERTY
def test_codes_lie_in_range_and_errors_within_half_a_step(values, bits, symmetric):
    x = np.array(values, dtype=np.float32)
    weight = q.quantize_weight(x.reshape(1, -1), bits=bits, symmetric=symmetric, per_channel=False)
    qmin, qmax = q.qrange(bits, symmetric)
    assert weight.codes.min() >= qmin and weight.codes.max() <= qmax
    error = np.abs(weight.dequantize() - x.reshape(1, -1)).max()
    assert error <= float(weight.scale) * 0.5 * (1 + 1e-5) + 1e-6 * np.abs(x).max()
    assert float(q.dequantize(q.quantize(0.0, weight.scale, weight.zero_point, qmin, qmax), weight.scale,
                              weight.zero_point)) == 0.0


def test_quantize_model_replaces_layers_and_keeps_the_original():
    tt.manual_seed(0)
    model = tt.nn.Sequential(tt.nn.Conv2d(1, 4, 3, padding=1), tt.nn.ReLU(), tt.nn.Flatten(), tt.nn.Linear(4 * 8 * 8, 3))
    x = np.random.default_rng(5).random((6, 1, 8, 8)).astype(np.float32)
    quantized = q.quantize_model(model, calibration_data=x)
    assert isinstance(quantized[0], q.QuantizedConv2d) and isinstance(quantized[3], q.QuantizedLinear)
    assert isinstance(model[0], tt.nn.Conv2d) and list(quantized.parameters()) == []
    with tt.no_grad():
        ours, exact = quantized(tt.tensor(x)).data, model(tt.tensor(x)).data
    assert np.abs(ours - exact).max() < 0.05 * np.abs(exact).max()
    assert q.model_nbytes(quantized, biases=False) < q.model_nbytes(model, biases=False) / 3.5


def test_percentile_observer_ignores_an_outlier():
    x = np.concatenate([np.linspace(-1, 1, 100_000, dtype=np.float32), [1000.0]])
    minmax, percentile = q.MinMaxObserver(), q.PercentileObserver(percentile=99.9)
    minmax(x), percentile(x)
    assert float(minmax.calculate_qparams()[0]) > 3.0 and float(percentile.calculate_qparams()[0]) < 0.01
    with pytest.raises(RuntimeError, match="seen no data"):
        q.MinMaxObserver().calculate_qparams()


@needs_torch
def test_grad_scaler_schedule_matches_torch():
    "The same sequence of finite and overflowing steps gives PyTorch's scale after every update."
    pattern = [True, False, True, True, True, False, False, True, True, True, True]
    weight = tt.tensor(np.zeros(2, np.float32), requires_grad=True)
    ours = q.GradScaler(init_scale=1024.0, growth_interval=3)
    optimizer = tt.optim.SGD([weight], lr=0.1)
    theirs_weight = torch.zeros(2, requires_grad=True)
    theirs_optimizer = torch.optim.SGD([theirs_weight], lr=0.1)
    theirs = torch.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=3)
    for finite in pattern:
        grad = np.array([1.0, 1.0 if finite else np.inf], np.float32) * ours.get_scale()
        weight.grad = tt.tensor(grad)
        ours.step(optimizer)
        ours.update()
        theirs.scale(torch.tensor(1.0))  # PyTorch's scaler starts its schedule at its first scale()
        theirs_weight.grad = torch.tensor(grad)
        theirs.step(theirs_optimizer)
        theirs.update()
        assert ours.get_scale() == theirs.get_scale()
    np.testing.assert_allclose(weight.data, theirs_weight.detach().numpy(), rtol=1e-6)


def test_mixed_precision_training_learns_like_float32():
    X, y = tt.load_digits()
    runs = {}
    for name in ("float32", "mixed"):
        tt.manual_seed(0)
        model = tt.nn.Sequential(tt.nn.Linear(64, 32), tt.nn.ReLU(), tt.nn.Linear(32, 10))
        scaler = None if name == "float32" else q.GradScaler(growth_interval=20)
        history = q.train_mixed_precision(model, X[:1400], y[:1400], epochs=8, scaler=scaler)
        with tt.no_grad():
            runs[name] = float((model(tt.tensor(X[1400:])).data.argmax(axis=1) == y[1400:]).mean())
        assert model[0].weight.data.dtype == np.float32  # the master copy stays float32
        if scaler is not None:
            assert not history["stepped"][0] and all(history["stepped"][1:5])  # 2^16 overflows once, then fits
    assert runs["mixed"] > 0.8 and abs(runs["mixed"] - runs["float32"]) < 0.03, runs
