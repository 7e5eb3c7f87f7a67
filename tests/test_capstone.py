"""tinytorch.capstone (module 20): the shipped baseline, cutting channels out of a CNN, the claims' form, the Pareto front."""
from __future__ import annotations

import numpy as np
import pytest

from tinytorch.capstone import (check_claims, digits_cnn, digits_images, load_baseline, pareto_front_max, prune_channels,
                                shrink_channels, top_channels, train_baseline, accuracy_of)
from tinytorch.quantization import model_nbytes, quantize_model
from tinytorch.spatial import Conv2d
from tinytorch.tensor import Tensor, manual_seed


def zeroed(model, index: int, channels: list[int]):
    "A copy of `model` whose Conv2d at `index` has the filters and biases of `channels` zeroed."
    import copy
    masked = copy.deepcopy(model)
    masked[index].weight.data[channels] = 0
    if masked[index].bias is not None:
        masked[index].bias.data[channels] = 0
    return masked


@pytest.fixture(scope="module")
def images():
    return Tensor(np.random.default_rng(0).standard_normal((4, 1, 8, 8)).astype(np.float32))


def test_the_shipped_baseline():
    model = load_baseline()
    _, X_test, _, y_test = digits_images()
    assert X_test.shape == (359, 1, 8, 8) and X_test.dtype == np.float32
    assert round(accuracy_of(model, X_test, y_test) * 359) == 352
    assert model_nbytes(model) == 6090 * 4 and not model.training
    assert load_baseline() is not model  # a fresh copy each time


@pytest.mark.slow
def test_train_baseline_remakes_the_shipped_weights():
    "The shipped weights were made with one BLAS thread (data/README.md); other summation orders differ by rounding."
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1, user_api="blas"):
        model = train_baseline()
    trained, shipped = model.state_dict(), load_baseline().state_dict()
    assert list(trained) == list(shipped)
    for name in shipped:
        np.testing.assert_allclose(trained[name].data, shipped[name].data, atol=1e-3, err_msg=name)
    _, X_test, _, y_test = digits_images()
    assert round(accuracy_of(model, X_test, y_test) * 359) == 352


@pytest.mark.parametrize("index, reader, keep", [(0, 3, [2, 0, 3]), (3, 7, [5, 1])])
def test_cutting_channels_equals_zeroing_them(images, index, reader, keep):
    manual_seed(1)
    model = digits_cnn((4, 6))
    dropped = [c for c in range(model[index].out_channels) if c not in keep]
    layers = list(model.children())
    layers[index], layers[reader] = shrink_channels(model[index], model[reader], keep)
    from tinytorch.layers import Sequential
    np.testing.assert_allclose(Sequential(*layers)(images).data, zeroed(model, index, dropped)(images).data, atol=1e-6)
    assert layers[index].out_channels == len(keep) and model[index].out_channels == (4, 6)[index // 3]


def test_shrink_channels_without_bias_and_errors():
    conv, reader = shrink_channels(Conv2d(1, 4, 3, bias=False), Conv2d(4, 2, 3), [1])
    assert conv.bias is None and conv.weight.shape == (1, 1, 3, 3) and reader.weight.shape == (2, 1, 3, 3)
    for keep in ([], [4], [1, 1], [-1]):
        with pytest.raises(ValueError):
            shrink_channels(Conv2d(1, 4, 3), Conv2d(4, 2, 3), keep)
    with pytest.raises(TypeError):
        shrink_channels(Conv2d(1, 4, 3), Tensor(np.zeros(3)), [0])


def test_prune_channels_keeps_the_largest_filters_and_int8_reaches_the_target():
    baseline = load_baseline()
    norms = np.linalg.norm(baseline[0].weight.data.reshape(16, -1), axis=1)
    assert top_channels(baseline[0], 4).tolist() == sorted(np.argsort(norms)[-4:].tolist())
    small = prune_channels(baseline, [12, 24])
    assert [small[i].weight.shape for i in (0, 3, 7)] == [(12, 1, 3, 3), (24, 12, 3, 3), (10, 96)]
    assert model_nbytes(baseline) / model_nbytes(quantize_model(small, per_channel=True)) > 6
    assert baseline[0].weight.shape == (16, 1, 3, 3)  # unchanged


def test_check_claims():
    good = {"latency_ratio": 1, "size_ratio": 6.0, "accuracy_drop": 0, "techniques": ("int8", "distillation")}
    assert check_claims(good) == {"latency_ratio": 1.0, "size_ratio": 6.0, "accuracy_drop": 0.0,
                                  "techniques": ["int8", "distillation"]}
    for bad, words in (({**good, "speed": 2}, "exactly the keys"), ({**good, "size_ratio": 0}, "above 0"),
                       ({**good, "accuracy_drop": -1}, "at least 0"), ({**good, "latency_ratio": float("inf")}, "finite"),
                       ({**good, "latency_ratio": True}, "finite"), ({**good, "techniques": []}, "non-empty"),
                       ({**good, "techniques": ["magic"]}, "non-empty"), ([1, 2], "exactly the keys")):
        with pytest.raises(ValueError, match=words):
            check_claims(bad)


def test_pareto_front():
    assert pareto_front_max([(1.0, 98.0), (2.0, 97.0), (1.5, 96.0), (3.0, 90.0)]) == [0, 1, 3]
    assert pareto_front_max([(1.0, 1.0), (1.0, 1.0)]) == [0, 1]
