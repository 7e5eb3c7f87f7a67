"""examples/train_gpt.py in short runs under tinytorch and PyTorch (a small model, a few steps): it trains
(the loss goes down), writes its checkpoint, loss curve and log with a sample, a checkpoint round-trips the
model and optimizer, and a resumed run continues exactly as an unbroken one. Also the library pieces the
example needed: `multinomial` (module 02) and `linear` on inputs of any number of leading dimensions (04)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinytorch as tt
from tests.reference import needs_torch, torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
import train_gpt  # noqa: E402

LIBRARIES = [pytest.param(tt, id="tinytorch"), pytest.param(torch, id="torch", marks=needs_torch)]
SMALL = ["--batch-size", "8", "--block-size", "16", "--n-layer", "2", "--n-head", "2", "--n-embd", "32",
         "--eval-iters", "3", "--eval-batch-size", "16", "--sample-chars", "40", "--warmup", "2", "--lr", "3e-3",
         "--log-interval", "5", "--minutes", "1000"]


def run(lib, out: Path, *extra: str) -> dict:
    "train_gpt.train with the small configuration writing to `out`."
    return train_gpt.train(lib, train_gpt.parse_args([*SMALL, "--out", str(out), *extra]))


@pytest.mark.parametrize("lib", LIBRARIES)
def test_short_run_trains_and_writes_its_outputs(lib, tmp_path):
    summary = run(lib, tmp_path, "--max-steps", "30", "--eval-interval", "15")
    assert summary["library"] == lib.__name__ and summary["steps"] == 30
    history = lib.load(tmp_path / "ckpt.pt")["history"]
    assert history["val_step"] == [0, 15, 30] and len(history["train"]) == 30
    assert history["val"][-1] < history["val"][0] - 0.3, f"validation loss did not go down: {history['val']}"
    assert np.mean(history["train"][-5:]) < np.mean(history["train"][:5]) - 0.3
    assert summary["val_loss"] == history["val"][-1]
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(summary["sample"]) == 41 and summary["sample"][0] == "\n"
    log = (tmp_path / "log.txt").read_text(encoding="utf-8")
    assert "validation loss" in log and summary["sample"] in log


@pytest.mark.parametrize("lib", LIBRARIES)
def test_checkpoint_round_trips_model_and_optimizer(lib, tmp_path):
    run(lib, tmp_path, "--max-steps", "4", "--eval-interval", "4")
    checkpoint = lib.load(tmp_path / "ckpt.pt")
    assert checkpoint["step"] == 4 and checkpoint["config"]["n_embd"] == 32
    model = train_gpt.build_model(lib, train_gpt.GPTConfig(**checkpoint["config"]))
    model.load_state_dict(checkpoint["model"])
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), checkpoint["model"][name].numpy(), err_msg=name)
    optimizer = train_gpt.configure_optimizer(lib, model, 1e-3, 0.1)
    optimizer.load_state_dict(checkpoint["optimizer"])
    saved, loaded = checkpoint["optimizer"]["state"], optimizer.state_dict()["state"]
    assert len(loaded) == len(saved) == len(list(model.parameters()))
    for key in saved:
        for slot, value in saved[key].items():
            np.testing.assert_array_equal(np.asarray(loaded[key][slot]), np.asarray(value))
    # the restored model gives the validation loss the run logged for its last step
    text = (tmp_path / "log.txt").read_text(encoding="utf-8")
    logged = float(text.split("step 4: validation loss ")[1].split()[0])
    data = np.array([checkpoint["vocab"].index(c) for c in tt.load_tinyshakespeare()], dtype=np.uint8)
    val_rng = np.random.default_rng([1337, 1])
    batches = [train_gpt.get_batch(lib, data[int(0.9 * len(data)):], 16, 16, val_rng) for _ in range(3)]
    assert train_gpt.estimate_loss(lib, model, batches) == pytest.approx(logged, abs=1e-4)


@pytest.mark.parametrize("lib", LIBRARIES)
def test_resumed_run_continues_as_an_unbroken_one(lib, tmp_path):
    schedule = ["--lr-decay-steps", "12", "--eval-interval", "6"]
    unbroken = run(lib, tmp_path / "unbroken", "--max-steps", "12", *schedule)
    run(lib, tmp_path / "resumed", "--max-steps", "6", *schedule)
    resumed = run(lib, tmp_path / "resumed", "--max-steps", "12", "--resume", *schedule)
    assert resumed["steps"] == 12
    assert "resumed from" in (tmp_path / "resumed" / "log.txt").read_text(encoding="utf-8")
    a, b = (lib.load(tmp_path / name / "ckpt.pt")["history"] for name in ("unbroken", "resumed"))
    assert len(b["train"]) == 12 and a["val_step"] == b["val_step"] == [0, 6, 12]
    np.testing.assert_allclose(b["train"], a["train"], rtol=1e-5)
    np.testing.assert_allclose(b["val"], a["val"], rtol=1e-5)
    assert resumed["val_loss"] == pytest.approx(unbroken["val_loss"], rel=1e-5)


def test_command_line_runs_with_tinytorch(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "train_gpt.py"), *SMALL, "--max-steps", "3",
                             "--eval-interval", "3", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "tinytorch: validation loss" in result.stdout and "sample (temperature 0.8)" in result.stdout


# --- the library pieces the example needed -------------------------------------------------------------------

def test_multinomial_draws_each_id_as_often_as_its_weight():
    tt.manual_seed(0)
    weights = np.array([[1.0, 0.0, 6.0, 3.0], [2.0, 2.0, 0.0, 4.0]])
    ids = tt.multinomial(tt.tensor(weights), 40000, replacement=True)
    assert ids.shape == (2, 40000) and ids.dtype == tt.int64
    for row, drawn in zip(weights, ids.numpy()):
        np.testing.assert_allclose(np.bincount(drawn, minlength=4) / 40000, row / row.sum(), atol=0.01)
    one = tt.multinomial(tt.tensor([0.2, 0.8]), 1)
    assert one.shape == (1,) and one.item() in (0, 1)


def test_multinomial_without_replacement():
    tt.manual_seed(1)
    ids = tt.multinomial(tt.tensor([[0.0, 1.0, 1.0, 0.0, 3.0]] * 3), 3)
    assert ids.shape == (3, 3) and all(sorted(row) == [1, 2, 4] for row in ids.tolist())
    zero_last = tt.multinomial(tt.tensor([0.0, 2.0, 0.0]), 3).tolist()  # ids of zero weight after the others
    assert zero_last[0] == 1 and sorted(zero_last) == [0, 1, 2]
    # the first draw without replacement follows the weights; later ones are distinct
    firsts = np.array([tt.multinomial(tt.tensor([1.0, 3.0]), 2).tolist() for _ in range(4000)])
    assert abs((firsts[:, 0] == 1).mean() - 0.75) < 0.03 and (firsts[:, 0] != firsts[:, 1]).all()


@pytest.mark.parametrize("weights, replacement, message", [
    ([0.5, -0.1], True, "element < 0"), ([0.5, float("nan")], True, "nan"), ([0.0, 0.0], True, "sum of probabilities"),
    ([1.0, 0.0], False, "without replacement"), ([[[1.0]]], True, "1-d or 2-d")])
def test_multinomial_rejects_what_torch_rejects(weights, replacement, message):
    num_samples = 3
    with pytest.raises(RuntimeError, match=message):
        tt.multinomial(tt.tensor(weights), num_samples, replacement=replacement)
    if torch is not None:
        with pytest.raises(RuntimeError):
            torch.multinomial(torch.tensor(weights), num_samples, replacement=replacement)


@needs_torch
def test_multinomial_shapes_and_dtype_as_torch():
    for shape, n, replacement in [((5,), 3, False), ((4, 6), 2, False), ((4, 6), 9, True), ((6,), 1, True)]:
        weights = np.random.default_rng(0).random(shape) + 0.1
        ours, theirs = (lib.multinomial(lib.tensor(weights), n, replacement=replacement) for lib in (tt, torch))
        assert tuple(ours.shape) == tuple(theirs.shape) and str(theirs.dtype) == "torch.int64"
        assert ours.dtype == tt.int64


@pytest.mark.parametrize("shape", [(7,), (3, 7), (2, 5, 7), (2, 3, 4, 7), (0, 7), (5, 3, 7)])
def test_linear_over_leading_dimensions(shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    if shape == (5, 3, 7):
        x = np.swapaxes(rng.standard_normal((3, 5, 7)), 0, 1)  # not contiguous
    w, b, g = rng.standard_normal((4, 7)), rng.standard_normal(4), rng.standard_normal(shape[:-1] + (4,))
    tx, tw, tb = (tt.tensor(a, requires_grad=True) for a in (x, w, b))
    out = tt.nn.functional.linear(tx, tw, tb)
    np.testing.assert_allclose(out.numpy(), x @ w.T + b, rtol=1e-12, atol=1e-12)
    out.backward(tt.tensor(g))
    g2, x2 = g.reshape(-1, 4), x.reshape(-1, 7)
    np.testing.assert_allclose(tx.grad.numpy(), g @ w, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tw.grad.numpy(), g2.T @ x2, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tb.grad.numpy(), g2.sum(axis=0), rtol=1e-12, atol=1e-12)
