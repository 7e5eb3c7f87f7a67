# %% attention_forward
#| export
#| solution attention_forward
# Demo student "slow": correct attention, one head (one leading index) at a time in a Python loop. It gives
# the right numbers and passes every correctness test, but fails the performance test.
def attention_forward(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None, scale: float,
                      dropout_p: float = 0.0, generator: np.random.Generator | None = None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Scaled dot-product attention on arrays `q` (..., L, E), `k` (..., S, E), `v` (..., S, Ev) with the
    same leading dimensions. Returns `(out, weights, keep)`."""
    weights = np.zeros(q.shape[:-1] + (k.shape[-2],), dtype=q.dtype)
    out = np.zeros(q.shape[:-1] + (v.shape[-1],), dtype=q.dtype)
    masks = None if mask is None else np.broadcast_to(mask, weights.shape)
    keep = None
    if dropout_p > 0:
        keep = (generator.random(weights.shape) >= dropout_p).astype(weights.dtype)
        keep *= 0.0 if dropout_p == 1 else 1 / (1 - dropout_p)
    for index in np.ndindex(q.shape[:-2]):
        scores = q[index] @ k[index].T * scale
        if masks is not None:
            scores = scores + masks[index]
        weights[index] = safe_softmax(scores)
        used = weights[index] if keep is None else weights[index] * keep[index]
        out[index] = used @ v[index]
    return out, weights, keep
