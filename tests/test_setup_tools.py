"""Module 01's shared tools, exactly: the test helpers every notebook's tests use (their messages are
what students read) and the measurement with intervals every analysis cell uses (on a fake clock,
so every number is known in advance)."""
from __future__ import annotations

import numpy as np
import pytest

import tinytorch
import tinytorch.setup as setup  # not `from ... import test_eq`: pytest would collect it as a test


class FakeClock:
    "A clock that only moves when told to."

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def failure(fn) -> str:
    with pytest.raises(AssertionError) as error:
        fn()
    return str(error.value)


def test_helpers_are_exported_but_not_among_tinytorchs_names():
    assert {"test_eq", "test_close", "test_fail", "error_message"} <= set(vars(setup))
    assert not {"test_eq", "test_close", "test_fail", "error_message"} & set(setup.__all__)
    assert not hasattr(tinytorch, "test_eq")


def test_test_eq_compares_values_and_shapes():
    setup.test_eq(np.float64(32.0), 32, "dot")
    setup.test_eq(tinytorch.tensor([[1, 2]]), np.array([[1, 2]]), "t")
    assert failure(lambda: setup.test_eq(10, 11, "dot_loop([1, 2], [3, 4])", "convert with np.asarray")) == (
        "dot_loop([1, 2], [3, 4]) gave 10; expected 11: convert with np.asarray")
    message = failure(lambda: setup.test_eq(np.ones(3), np.ones((3, 1)), "x"))
    assert "shape (3,) instead of (3, 1)" in message
    assert "\n" not in failure(lambda: setup.test_eq(np.eye(3), np.zeros((3, 3)), "eye"))  # one line


def test_test_close_names_the_worst_element():
    setup.test_close([1.0, 2.0], np.array([1.0, 2.0 + 1e-9]), "x")
    message = failure(lambda: setup.test_close(np.array([[1.0, 2.0], [3.0, 4.0]]), [[1, 2], [3, 5]], "f(x)", "fix it"))
    assert message.startswith("f(x) gave array([[1., 2.], [3., 4.]]); expected [[1, 2], [3, 5]]")
    assert "differs by 1 at index (1, 1)" in message and message.endswith(": fix it")
    assert "(not a number at index (0,))" in failure(lambda: setup.test_close(np.array([np.nan, 1.0]), [0.0, 1.0], "y"))


def test_test_fail_and_error_message():
    def shapes():
        raise ValueError("got shapes (3,) and (2,)")

    assert setup.test_fail(shapes, ValueError, "dot", contains=("(3,)", "(2,)")) == "got shapes (3,) and (2,)"
    assert setup.error_message(ValueError, shapes) == "got shapes (3,) and (2,)"
    assert setup.error_message(ValueError, lambda: 1) is None
    assert failure(lambda: setup.test_fail(lambda: 1, ValueError, "g(1)", hint="check")) == (
        "g(1) returned 1; expected it to raise ValueError: check")
    assert failure(lambda: setup.test_fail(lambda: int("x"), TypeError, "int('x')")).startswith(
        "int('x') raised ValueError(")
    assert "does not mention '(4,)'" in failure(lambda: setup.test_fail(shapes, ValueError, "dot", contains=("(4,)",)))

    def unwritten():
        raise NotImplementedError()

    for check in (lambda: setup.test_fail(unwritten, RuntimeError, "stub"),  # NotImplementedError is a RuntimeError
                  lambda: setup.error_message(RuntimeError, unwritten)):
        with pytest.raises(NotImplementedError):
            check()


@pytest.mark.parametrize("n, low_rank, level", [(1, 0, 0.0), (5, 0, 0.9375), (7, 0, 0.984375), (9, 1, 0.9609375),
                                                (12, 2, 0.96142578125)])
def test_estimate_uses_order_statistics(n, low_rank, level):
    samples = list(range(n, 0, -1))  # in measurement order, not sorted
    estimate = setup.Estimate(samples)
    assert estimate.samples == tuple(float(s) for s in samples)
    assert estimate.median == np.median(samples)
    assert (estimate.low, estimate.high) == (1 + low_rank, n - low_rank)
    assert estimate.level == pytest.approx(level)
    scaled = estimate.scaled(1e6)
    assert (scaled.low, scaled.median, scaled.high, scaled.level) == pytest.approx(
        (estimate.low * 1e6, estimate.median * 1e6, estimate.high * 1e6, estimate.level))
    with pytest.raises(ValueError):
        setup.Estimate([])


def test_measure_and_measure_ratio_on_a_fake_clock():
    clock = FakeClock()
    tick = 2.0 ** -9
    calls = {"slow": 0}

    def fast():
        clock.now += tick

    def slow():  # three ticks per call, one burst of 100 on its 4th call
        calls["slow"] += 1
        clock.now += (100 if calls["slow"] == 4 else 3) * tick

    estimate = setup.measure(fast, min_time=2e-3, clock=clock)
    assert len(estimate.samples) == 9 and estimate.median == tick and estimate.low == estimate.high == tick
    ratio = setup.measure_ratio(slow, fast, rounds=9, min_time=2e-3, clock=clock)
    assert ratio.median == 3.0 and ratio.low == 3.0 and ratio.high == 3.0  # the burst is one sample, outside [x2, x8]
    assert setup.speed_ratio(slow, fast, rounds=7, clock=clock) == 3.0


def test_a_slow_first_call_does_not_set_the_number_of_calls_per_sample():
    "A first call of one-off work longer than min_time (a library initialising) is made before the search, untimed."
    clock = FakeClock()
    tick = 2.0 ** -9

    def lazy(calls: list):  # a function whose first call takes 1 second, then one tick per call
        def fn() -> None:
            clock.now += 1.0 if not calls else tick
            calls.append(clock.now)
        return fn

    calls = []
    assert setup.calibrate(lazy(calls), 2e-3, clock) == 2  # as for a warm function: 2 ticks reach 2 ms
    assert len(calls) == 1 + 1 + 2  # the untimed first call, then the search's samples of 1 and 2 calls
    calls = []
    setup.measure(lazy(calls), samples=9, min_time=2e-3, clock=clock)
    assert len(calls) == 1 + 1 + 2 + 9 * 2  # so measure's samples are of two calls each, not of one


def test_traced_memory_counts_what_is_kept_and_the_peak():
    size = 1_000_000  # 8 MB of float64

    def temporary_then_small():
        big = np.ones(size)
        return big[:10].copy()

    result, kept, peak = setup.traced_memory(temporary_then_small)
    assert result.shape == (10,) and kept < 10_000 and 8_000_000 <= peak < 8_100_000
    kept_array, kept, _ = setup.traced_memory(lambda: np.ones(size))
    assert 8_000_000 <= kept < 8_100_000 and kept_array.nbytes == 8_000_000
    import tracemalloc
    assert not tracemalloc.is_tracing()  # stopped again, as found


def test_format_number_and_interpret(capsys):
    assert [setup.format_number(v) for v in (0.000123456, 1.23456, 1234.5, -0.173, 0)] == [
        "0.000123", "1.23", "1,234", "-0.173", "0"]
    setup.interpret(setup.Estimate([0.96, 0.98, 1.0, 1.02, 1.04, 0.99, 1.01, 1.0, 0.97]), "a ÷ b", (0.8, 1.5), "×",
                    advice="never shown")
    setup.interpret(4.0, "bytes", (5, None), "×", advice="a reason")
    setup.interpret(setup.Estimate([0.9, 1.0, 1.6, 1.1, 1.7]), "c", (None, 1.5), " µs", advice="not shown either")
    assert capsys.readouterr().out.splitlines() == [
        "✓ a ÷ b: 1.00× (96% CI 0.970–1.02×); expected 0.8–1.5×: as expected",
        "✗ bytes: 4.00× (counted); expected ≥ 5×: lower than expected — a reason",
        "? c: 1.10 µs (94% CI 0.900–1.70 µs); expected ≤ 1.5 µs: not conclusive"]


@pytest.mark.parametrize("low, high, expected, verdict", [
    (1.0, 1.1, (0.8, 1.5), "as expected"), (0.3, 0.5, (0.8, 1.5), "lower than expected"),
    (1.6, 2.0, (0.8, 1.5), "higher than expected"), (0.7, 0.9, (0.8, 1.5), "not conclusive"),
    (1.4, 1.6, (0.8, 1.5), "not conclusive"), (5.0, 6.0, (None, 10), "as expected"), (5.0, 6.0, (3, None), "as expected")])
def test_verdict(low, high, expected, verdict):
    assert setup.verdict(low, high, expected) == verdict
