# %% mann_whitney
#| export benchmarking.stats
#| solution mann_whitney
# Demo student "slow": correct average ranks, found by comparing every value with every other in a
# Python double loop (n² steps). Passes every correctness test, fails the performance test.
def rankdata(values: Sequence[float]) -> np.ndarray:
    "The ranks of `values` (1 = smallest) as float64; equal values share the mean of their ranks."
    x = np.asarray(values, dtype=np.float64).ravel()
    ranks = np.empty(x.size)
    for i in range(x.size):
        below = same = 0
        for j in range(x.size):
            if x[j] < x[i]:
                below += 1
            elif x[j] == x[i]:
                same += 1
        ranks[i] = below + (same + 1) / 2
    return ranks


def mann_whitney_u(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    "The Mann-Whitney statistic U_a of samples `a` against `b`, and its two-sided p-value, as (U_a, p)."
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    pooled = np.concatenate([a, b])
    ranks = rankdata(pooled)
    u = float(ranks[: a.size].sum() - a.size * (a.size + 1) / 2.0)
    counts = {}
    for value in pooled.tolist():
        counts[value] = counts.get(value, 0) + 1
    return u, u_test_pvalue(u, a.size, b.size, list(counts.values()))
# %% stream_triad (edit)
<<<<<<< reference
    "STREAM's triad a = b + scalar * c, computed into `a` without a temporary array; returns `a`."
    np.multiply(c, scalar, out=a)
    np.add(a, b, out=a)
    return a
=======
    "STREAM's triad a = b + scalar * c, computed into `a` without a temporary array; returns `a`."
    # Demo student "slow": one element at a time in a Python loop. No temporary array and the right
    # values, so every correctness test passes; the performance test fails.
    for i in range(a.size):
        a[i] = b[i] + scalar * c[i]
    return a
>>>>>>> student
