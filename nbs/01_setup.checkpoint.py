"""Checkpoint of 01_setup, run by `tito checkpoint` against the student's own library.

Each `check_*` function is one step, run in order in a fresh process; an AssertionError's message
is what the student sees. CAPABILITY names what the module gives; LIMIT is the limit that ends it,
which `tito next` shows as the reason for the next module."""
CAPABILITY = "the course's measuring tools work on this machine"
LIMIT = ("Vectorised NumPy is fast, but raw arrays re-check their inputs in every function, find shape "
         "mistakes late and have nowhere to keep gradients: 02 wraps them in a Tensor.")


def check_helpers():
    "test_eq, test_close and test_fail accept what is right and reject what is wrong"
    from tinytorch.setup import test_close, test_eq, test_fail
    test_eq([1, 2], [1, 2], "a list compared with itself")
    test_close(0.1 + 0.2, 0.3, "0.1 + 0.2")
    test_fail(lambda: test_eq(1, 2, "one and two"), AssertionError, "test_eq of two different numbers")


def check_measurement():
    "measure_ratio finds a Python loop slower than NumPy's sum"
    import numpy as np
    from tinytorch.setup import measure_ratio
    x = np.random.default_rng(0).random(20_000)
    ratio = measure_ratio(lambda: sum(float(v) for v in x), lambda: x.sum())
    assert ratio.median > 3, f"a Python loop over 20,000 numbers measured only {ratio.median:.1f}x NumPy's sum"
