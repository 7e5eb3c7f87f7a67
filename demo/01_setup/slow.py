# %% dot_vectorised
#| solution dot_vectorised
# Demo student "slow": dot_vectorised is correct but still loops over the elements in Python,
# so it passes every correctness test and fails exactly the performance test.
def dot_vectorised(a, b):
    """The dot product sum(a[i] * b[i]), computed with NumPy operations on whole arrays.

    Same contract as `dot_loop`: `a`, `b` are 1-D arrays (or lists) of equal length; raises
    ValueError, showing both shapes, otherwise. Integers stay exact; empty inputs give 0."""
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"dot_vectorised: shapes {a.shape} and {b.shape} are not two 1-D arrays of one length")
    total = 0
    for i in range(len(a)):
        total += a[i] * b[i]
    return total
