"""19's suite over a model and its optimised versions (issue 16, "19_benchmarking, extended"): benchmark_variants'
results and ratios agree with its measurements, structured pruning shrinks the layers and keeps the strongest
channels, the plot is labelled with the ratios, the report is written, the Profiler gives data loading a row of
its own, and examples/benchmark_variants.py --quick runs end to end."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.benchmarking import (Profiler, VariantReport, benchmark_variants, cnn_variants, digits_cnn,
                                    digits_images, markdown_report, prune_channels, profile_training)
from tinytorch.quantization import model_nbytes

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def digits():
    X_train, X_test, y_train, y_test = digits_images(seed=0)
    return X_train[:256], X_test[:96], y_train[:256], y_test[:96]


@pytest.fixture(scope="module")
def report(digits) -> VariantReport:
    X_train, X_test, y_train, y_test = digits
    tt.manual_seed(0)
    models = cnn_variants(digits_cnn(channels=(8, 16)).eval(), X_train, y_train, finetune_epochs=0)
    return benchmark_variants(models, X_test, y_test, samples=3, min_time=1e-3)


def test_variants_are_new_models_and_the_baseline_is_unchanged(digits):
    X_train, _, y_train, _ = digits
    tt.manual_seed(0)
    model = digits_cnn(channels=(8, 16)).eval()
    before = [p.data.copy() for p in model.parameters()]
    variants = cnn_variants(model, X_train, y_train, finetune_epochs=0)
    assert list(variants) == ["baseline", "quantized", "pruned", "accelerated"]
    assert variants["baseline"] is model and all(variants[n] is not model for n in ("quantized", "pruned", "accelerated"))
    assert all(np.array_equal(b, p.data) for b, p in zip(before, model.parameters()))
    x = tt.Tensor(X_train[:32])
    with tt.no_grad():
        np.testing.assert_allclose(variants["accelerated"](x).data, model(x).data, rtol=1e-4, atol=1e-5)


def test_report_structure_and_ratios_match_the_measurements(report):
    names = ["baseline", "quantized", "pruned", "accelerated"]
    assert list(report.suite.results) == names and list(report.ratios) == names[1:]
    base = report.suite.results["baseline"]
    for name, ratio in report.ratios.items():
        result = report.suite.results[name]
        low, high = ratio.speedup.speedup_ci
        assert low <= ratio.speedup.speedup <= high and ratio.speedup.candidate == name
        assert ratio.smaller == pytest.approx(report.weight_bytes["baseline"] / report.weight_bytes[name])
        assert ratio.memory == pytest.approx(base.peak_memory_bytes / result.peak_memory_bytes)
        assert ratio.accuracy_delta == pytest.approx(result.accuracy - base.accuracy)
    assert report.weight_bytes["baseline"] == model_nbytes(digits_cnn(channels=(8, 16)))
    assert report.ratios["quantized"].smaller > 3.5, "int8 codes take a byte each: close to 4x smaller than float32"
    assert report.ratios["pruned"].smaller > 2.5, "half of both convolutions' channels removed"
    rows = {row["Model"]: row for row in report.rows}
    assert rows["baseline"]["Speed-up"] == 1.0 and rows["baseline"]["Smaller"] == 1.0
    assert rows["pruned"]["Speed-up"] == report.ratios["pruned"].speedup.speedup
    table = report.table()
    assert all(name in table for name in names) and "Speed-up" in table


def test_benchmark_variants_needs_the_baseline(digits):
    with pytest.raises(KeyError, match="'baseline'"):
        benchmark_variants({"a": digits_cnn()}, digits[1])


def test_prune_channels_shrinks_the_layers_and_keeps_the_strongest():
    tt.manual_seed(0)
    model = digits_cnn(channels=(8, 16)).eval()
    model[0].weight.data[3] = 0.0  # the weakest channel of the first convolution: it must go
    small = prune_channels(model, keep=0.5)
    assert (small[0].out_channels, small[3].in_channels, small[3].out_channels, small[7].in_features) == (4, 4, 8, 32)
    assert small[0].weight.shape == (4, 1, 3, 3) and small[3].weight.shape == (8, 4, 3, 3) and small[7].weight.shape == (10, 32)
    assert not any(np.array_equal(w, np.zeros_like(w)) for w in small[0].weight.data)
    x = tt.Tensor(np.random.default_rng(0).standard_normal((5, 1, 8, 8)).astype(np.float32))
    with tt.no_grad():
        assert small(x).shape == (5, 10)
        np.testing.assert_allclose(prune_channels(model, keep=1.0)(x).data, model(x).data, rtol=1e-5, atol=1e-6)
    assert model[0].out_channels == 8, "prune_channels must not change the model it copies"


def test_plot_is_labelled_with_the_ratios(report):
    from matplotlib.figure import Figure

    figure = report.plot()
    assert isinstance(figure, Figure)
    texts = [t.get_text() for ax in figure.axes for t in ax.texts]
    speedup = report.ratios["pruned"].speedup.speedup
    assert f"{speedup:.2f}x faster" in texts and "1.00x faster" in texts and any(t.endswith("x less") for t in texts)


def test_report_is_written(report, tmp_path):
    paths = report.write(tmp_path / "out", "variants", "CNN variants")
    assert [p.name for p in paths] == ["variants.md", "variants.html", "variants.png"] and all(p.exists() for p in paths)
    markdown = paths[0].read_text(encoding="utf-8")
    assert "# CNN variants" in markdown and "| Speed-up (95% CI) |" in markdown
    assert all(f"| {name} |" in markdown for name in report.suite.results)
    html = paths[1].read_text(encoding="utf-8")
    assert "<th>Smaller</th>" in html and "data:image/png;base64," in html
    assert paths[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_markdown_report_without_preamble_is_unchanged(report):
    text = markdown_report(report.suite, "T")
    assert "Speed-up" not in text and text.count("| baseline |") == 1


def test_profiler_regions_and_iterate():
    with Profiler() as profiler:
        batches = list(profiler.iterate(iter([1, 2, 3]), "loading"))
        with profiler.region("setup"):
            sum(range(1000))
    rows = {op.name: op for op in profiler.operations()}
    assert batches == [1, 2, 3]
    assert rows["loading"].calls == 4, "three batches and the call that found the end"
    assert rows["setup"].calls == 1 and rows["setup"].self_time > 0


def test_profile_training_gives_data_loading_products_and_attention_rows():
    from tinytorch.data import DataLoader, Generator
    from tinytorch.embeddings import TokenWindows, next_token_loss
    from tinytorch.transformer import GPT, GPTConfig

    ids = np.random.default_rng(0).integers(0, 20, 2_000)
    config = GPTConfig(vocab_size=20, block_size=16, n_layer=1, n_head=2, n_embd=16)
    tt.manual_seed(0)
    loader = DataLoader(TokenWindows(ids, 16), batch_size=8, shuffle=True, generator=Generator().manual_seed(0))
    profiler = profile_training(GPT(config), loader, next_token_loss, steps=3)
    rows = {op.name: op for op in profiler.operations()}
    assert rows["DataLoader"].calls == 3
    assert "scaled_dot_product_attention" in rows and "linear" in rows
    assert "scaled_dot_product_attentionBackward" in rows and "linearBackward" in rows


@pytest.mark.slow
def test_the_command_runs_quick_end_to_end(tmp_path):
    out = tmp_path / "reports"
    run = subprocess.run([sys.executable, str(ROOT / "examples" / "benchmark_variants.py"), "--quick", "--out", str(out)],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    for name in ("variants.md", "variants.html", "variants.png", "variants.txt", "gpt_profile.txt"):
        assert (out / name).exists(), name
    assert "DataLoader" in (out / "gpt_profile.txt").read_text(encoding="utf-8")
    assert all(name in run.stdout for name in ("quantized", "pruned", "accelerated"))
