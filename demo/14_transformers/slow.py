# %% layer_norm_forward
#| export
#| solution layer_norm_forward
# Demo student "slow": correct layer normalisation, one row of the first axis at a time in a Python loop (one
# sequence of a batch, or one position of a 2-d input). It gives the right numbers and passes every correctness
# test, but fails the performance test.
def layer_norm_forward(x: np.ndarray, ndim: int, weight: np.ndarray | None, bias: np.ndarray | None,
                       eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Layer normalisation of `x` over its last `ndim` axes. Returns `(out, xhat, rstd)`."""
    axes = tuple(range(x.ndim - ndim - 1, x.ndim - 1))  # the normalised axes of one row x[i]
    if x.ndim == ndim:  # a single position: nothing to loop over
        out, xhat, rstd = layer_norm_forward(x[None], ndim, weight, bias, eps)
        return out[0], xhat[0], rstd[0]
    xhat = np.empty_like(x)
    rstd = np.empty(x.shape[:x.ndim - ndim] + (1,) * ndim, dtype=x.dtype)
    for i in range(len(x)):
        centred = x[i] - x[i].mean(axis=axes, keepdims=True)
        rstd[i] = 1.0 / np.sqrt((centred * centred).mean(axis=axes, keepdims=True) + eps)
        xhat[i] = centred * rstd[i]
    out = xhat if weight is None else xhat * weight
    if bias is not None:
        out = out + bias
    return out, xhat, rstd
