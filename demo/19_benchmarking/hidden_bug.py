# %% mann_whitney
#| export
#| solution mann_whitney
# Demo student "hidden_bug": ranks from a double argsort, which numbers equal values 1, 2, 3, ...
# instead of giving them their mean rank. Right for the visible tests (no ties); the hidden test
# with tied values fails.
def rankdata(values: Sequence[float]) -> np.ndarray:
    "The ranks of `values` (1 = smallest) as float64; equal values share the mean of their ranks."
    x = np.asarray(values, dtype=np.float64).ravel()
    return np.argsort(np.argsort(x, kind="stable"), kind="stable").astype(np.float64) + 1


def mann_whitney_u(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    "The Mann-Whitney statistic U_a of samples `a` against `b`, and its two-sided p-value, as (U_a, p)."
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    pooled = np.concatenate([a, b])
    ranks = rankdata(pooled)
    u = float(ranks[: a.size].sum() - a.size * (a.size + 1) / 2.0)
    tie_counts = np.unique(pooled, return_counts=True)[1]
    return u, u_test_pvalue(u, a.size, b.size, tie_counts.tolist())
