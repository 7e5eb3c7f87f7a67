# %% mann_whitney
#| export benchmarking.stats
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
# %% check_regression (edit)
<<<<<<< reference
    comparisons, regressions, improvements = {}, [], []
    for name in current:
        if name not in baseline:
            continue
        comparison = compare(baseline[name], current[name], alpha=alpha, threshold=threshold)
        comparisons[name] = comparison
        if comparison.outcome == "slower":
            regressions.append(name)
        elif comparison.outcome == "faster":
            improvements.append(name)
=======
    # Demo student "hidden_bug": a model regressed when its median grew by more than the threshold,
    # improved when it shrank as much; the significance test is ignored. Right for the visible test (a
    # clear 1.5x slow-down, and a 2 % one below the threshold); new samples that differ only by noise
    # are reported as a regression or an improvement in the hidden test.
    comparisons, regressions, improvements = {}, [], []
    for name in current:
        if name not in baseline:
            continue
        comparison = compare(baseline[name], current[name], alpha=alpha, threshold=threshold)
        comparisons[name] = comparison
        change = current[name].median / baseline[name].median
        if change > 1 + threshold:
            regressions.append(name)
        elif change < 1 / (1 + threshold):
            improvements.append(name)
>>>>>>> student
