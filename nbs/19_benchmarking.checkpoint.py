"""Checkpoint of 19_benchmarking, run by `tito checkpoint` against the student's own library (each `check_*`
function a step, in order, in a fresh process; see 01_setup.checkpoint.py)."""
CAPABILITY = "benchmarks tell a real speed-up from noise"
LIMIT = ("Measuring says where the time goes but makes nothing faster: 15-18 (acceleration, caching, "
         "precision, compression) attack those costs, each gain checked with compare.")


def check_timer():
    "Timer measures a known cost on a fake clock exactly"
    from tinytorch.benchmarking import FakeClock, Timer
    clock = FakeClock()
    m = Timer(lambda: clock.advance(0.004), clock=clock).measure(samples=5, number=1, warn=False)
    assert abs(m.median - 0.004) < 1e-9, f"a call that takes 4 ms on the fake clock measured {m.median * 1e3:.3f} ms"


def check_compare():
    "compare_functions finds a Python loop significantly slower than NumPy"
    import numpy as np
    from tinytorch.benchmarking import compare_functions
    x = np.random.default_rng(0).random(5_000)
    loop = compare_functions(lambda: x.sum(), lambda: sum(x.tolist()), samples=8)
    assert loop.outcome == "slower", f"a Python sum over 5,000 numbers against NumPy's: {loop.verdict}"


def check_flops():
    "count_flops counts 2·m·k·n for a Linear layer"
    import tinytorch as tt
    from tinytorch.benchmarking import count_flops
    model = tt.nn.Sequential(tt.nn.Linear(8, 4, bias=False))
    report = count_flops(model, tt.randn(2, 8))
    assert report.forward == 2 * 2 * 8 * 4, f"Linear(8, 4) on 2 rows: {report.forward} FLOPs, expected 128"
