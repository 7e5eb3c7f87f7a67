# %% dot_vectorised
#| solution dot_vectorised
# Demo student "hidden_bug": dot_vectorised only compares the two shapes, so 2-D (and 0-D)
# inputs of equal shape are summed instead of rejected. The visible tests (different lengths)
# pass; the hidden edge-case test of dot_vectorised fails.
def dot_vectorised(a, b):
    """The dot product sum(a[i] * b[i]), computed with NumPy operations on whole arrays.

    Same contract as `dot_loop`: `a`, `b` are 1-D arrays (or lists) of equal length; raises
    ValueError, showing both shapes, otherwise. Integers stay exact; empty inputs give 0."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"shapes {a.shape} and {b.shape} differ")
    return np.sum(a * b)
