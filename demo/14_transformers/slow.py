# %% layer_norm_forward
#| export
#| solution layer_norm_forward
# Demo student "slow": correct layer normalisation, one position at a time in a Python loop. It gives the right
# numbers and passes every correctness test, but fails the performance test.
def layer_norm_forward(x: np.ndarray, ndim: int, weight: np.ndarray | None, bias: np.ndarray | None,
                       eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Layer normalisation of `x` over its last `ndim` axes. Returns `(out, xhat, rstd)`."""
    axes = tuple(range(x.ndim - ndim, x.ndim))
    xhat = np.empty_like(x)
    rstd = np.empty(x.shape[:x.ndim - ndim] + (1,) * ndim, dtype=x.dtype)
    for index in np.ndindex(x.shape[:x.ndim - ndim]):
        row = x[index]
        centred = row - row.mean()
        rstd[index] = 1.0 / np.sqrt((centred * centred).mean() + eps)
        xhat[index] = centred * rstd[index]
    out = xhat if weight is None else xhat * weight
    if bias is not None:
        out = out + bias
    return out, xhat, rstd
