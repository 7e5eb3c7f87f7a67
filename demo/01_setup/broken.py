# %% dot_loop
#| solution dot_loop
# Demo student "broken": a syntax error (a missing colon) in the dot_loop cell, so dot_loop is
# never defined and its tests fail; everything else is correct.
def dot_loop(a, b):
    """The dot product sum(a[i] * b[i]), computed with a Python `for` loop, one element at a time.

    `a`, `b`: 1-D arrays (or lists) of equal length. Raises ValueError, showing both shapes,
    if either is not 1-D or their lengths differ. Integers stay exact; empty inputs give 0."""
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"dot_loop: got shapes {a.shape} and {b.shape}")
    total = 0
    for x, y in zip(a, b)
        total += x * y
    return total
