"""Checkpoint of 17_precision, run by `tito checkpoint` against the student's own library (each `check_*`
function a step, in order, in a fresh process; see 01_setup.checkpoint.py)."""
CAPABILITY = "a trained CNN kept in int8: 4x smaller, as accurate"
LIMIT = ("Quantisation narrows every weight but keeps all of them: 32 to 8 bits is 4x, and below about 4 bits "
         "accuracy collapses. Many weights matter little; 18 removes them (pruning, sparse storage, distillation).")


def check_bfloat16():
    "float32 values round to bfloat16 to nearest, ties to even"
    import numpy as np

    from tinytorch.quantization import bfloat16_bits
    values = np.array([1.0, 1 + 2**-8, 1 + 3 * 2**-8, np.inf, 3.4e38], dtype=np.float32)
    patterns = [hex(int(p)) for p in bfloat16_bits(values)]
    assert patterns == ["0x3f80", "0x3f80", "0x3f82", "0x7f80", "0x7f80"], (
        f"bfloat16 patterns of 1, 1+2^-8, 1+3·2^-8, inf, 3.4e38: {patterns}; expected 3f80, 3f80, 3f82, 7f80, 7f80")


def check_loss_scaling():
    "an overflowing step is skipped and halves the loss scale; good steps grow it again"
    import numpy as np

    from tinytorch.optimizers import SGD
    from tinytorch.quantization import GradScaler
    from tinytorch.tensor import Tensor
    weight = Tensor(np.ones(2, np.float32), requires_grad=True)
    scaler, optimizer = GradScaler(init_scale=256.0, growth_interval=1), SGD([weight], lr=1.0)
    weight.grad = Tensor(np.array([np.inf, 1.0], np.float32))
    took = scaler.step(optimizer)
    scaler.update()
    assert not took and weight.data.tolist() == [1.0, 1.0] and scaler.get_scale() == 128.0, (
        f"an inf gradient: step taken {took}, weights {weight.data.tolist()}, scale {scaler.get_scale()}; "
        "expected no step, weights [1, 1] and the scale halved to 128")
    weight.grad = Tensor(np.array([128.0, -256.0], np.float32))
    scaler.step(optimizer)
    scaler.update()
    assert weight.data.tolist() == [0.0, 3.0] and scaler.get_scale() == 256.0, (
        f"a good step with gradients [128, -256] at scale 128 and lr 1 gave weights {weight.data.tolist()} and scale "
        f"{scaler.get_scale()}; expected [0, 3] (gradients unscaled to [1, -2]) and the scale doubled to 256")


def check_int8_cnn():
    "the digits CNN quantised to int8 is at least 3.9x smaller and loses at most a point"
    import numpy as np

    from tinytorch import manual_seed
    from tinytorch.layers import Flatten, Linear, ReLU, Sequential
    from tinytorch.losses import CrossEntropyLoss
    from tinytorch.optimizers import Adam
    from tinytorch.quantization import model_nbytes, quantize_model
    from tinytorch.spatial import Conv2d, MaxPool2d
    from tinytorch.tensor import Tensor
    from tinytorch.training import Trainer, load_digits, train_test_split
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X.reshape(-1, 1, 8, 8), y, test_size=0.2, seed=0)
    manual_seed(0)
    cnn = Sequential(Conv2d(1, 16, 3, padding=1), ReLU(), MaxPool2d(2), Conv2d(16, 32, 3, padding=1), ReLU(),
                     MaxPool2d(2), Flatten(), Linear(128, 10))
    Trainer(cnn, CrossEntropyLoss(), Adam(cnn.parameters(), lr=3e-3), seed=0).fit(X_train, y_train, epochs=6,
                                                                                   batch_size=64, progress=False)
    int8 = quantize_model(cnn, calibration_data=X_train[:200], per_channel=False)
    cnn.eval()
    scores = [float((m(Tensor(X_test)).data.argmax(axis=1) == y_test).mean()) for m in (cnn, int8)]
    smaller = model_nbytes(cnn, biases=False) / model_nbytes(int8, biases=False)
    assert smaller >= 3.9, f"the int8 CNN's weights are {smaller:.2f}x smaller than float32's; expected at least 3.9x"
    assert scores[0] - scores[1] <= 0.01, (
        f"the int8 CNN scores {scores[1]:.2%} against {scores[0]:.2%} in float32; expected at most 1 point less")
