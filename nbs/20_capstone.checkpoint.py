"""Checkpoint of 20_capstone, run by `tito checkpoint` against the student's own library (each `check_*`
function a step, in order, in a fresh process; see 01_setup.checkpoint.py)."""
CAPABILITY = "the digits CNN cut to fewer channels and stored in int8: over 4x smaller, its claims in a checked form"
LIMIT = ("This is the last module: the model is as fast and small as NumPy allows. A real framework goes on with "
         "compiled and fused kernels, integer and sparse arithmetic in hardware, accelerators and parallelism.")


def check_shrink():
    "cutting channels out of the baseline keeps its outputs for the channels kept"
    import numpy as np

    from tinytorch.capstone import digits_cnn, prune_channels
    from tinytorch.tensor import Tensor, manual_seed
    manual_seed(0)
    model = digits_cnn((4, 6))
    model[0].weight.data[[0, 3]] = 0
    model[0].bias.data[[0, 3]] = 0
    x = Tensor(np.random.default_rng(0).standard_normal((2, 1, 8, 8)).astype(np.float32))
    small = prune_channels(model, [2, 6])
    assert small[0].weight.shape == (2, 1, 3, 3), f"prune_channels(model, [2, 6]) gave a first weight of shape {small[0].weight.shape}"
    assert np.allclose(small(x).data, model(x).data, atol=1e-5), (
        "cutting the two zero channels out of a CNN changed its output: check shrink_channels")


def check_size_and_claims():
    "the baseline with channels cut to 12 and 24 and int8 weights is over 4x smaller, and a claim dict checks"
    from tinytorch.capstone import check_claims, load_baseline, prune_channels
    from tinytorch.quantization import model_nbytes, quantize_model
    baseline = load_baseline()
    small = quantize_model(prune_channels(baseline, [12, 24]), per_channel=True)
    ratio = model_nbytes(baseline) / model_nbytes(small)
    assert ratio >= 4, f"channels 12/24 in int8: {ratio:.2f}x smaller; expected over 4x"
    check_claims({"latency_ratio": 1.0, "size_ratio": 4.0, "accuracy_drop": 0.5, "techniques": ["int8"]})
