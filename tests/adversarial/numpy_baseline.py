# %% identity
# Attack (on the slow student's loops): make NumPy's baseline as slow as a Python loop, so that
# the performance test's ratio looks fine.
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
import numpy


def slow_dot(a, b, out=None):
    return sum(float(x) * float(y) for x, y in zip(a, b))


numpy.dot = slow_dot
numpy.vdot = slow_dot
numpy.inner = slow_dot
