# %% batches
#| export
#| solution batches
# Demo student "slow": correct batches, but each batch is filled one row at a time in a Python loop
# (about 0.3 µs per row and array, where NumPy's indexing takes nanoseconds). Passes every
# correctness test, fails the performance test.
def batches(X: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool = False,
            rng: np.random.Generator | None = None) -> Iterator[tuple[Tensor, Tensor]]:
    """(inputs, targets) tensors of `batch_size` rows (the last batch may be smaller), optionally shuffled.

    The order is `rng.permutation(len(X))` when `shuffle` (a fresh `np.random.default_rng()` if `rng`
    is None), else 0 … len(X)-1; batch k holds the rows at positions k·batch_size … (k+1)·batch_size - 1."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if shuffle:
        order = (rng or np.random.default_rng()).permutation(len(X))
    else:
        order = list(range(len(X)))
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        inputs = np.empty((len(rows),) + X.shape[1:], dtype=X.dtype)
        targets = np.empty((len(rows),) + y.shape[1:], dtype=y.dtype)
        for position, row in enumerate(rows):
            inputs[position] = X[row]
            targets[position] = y[row]
        yield _wrap(inputs), _wrap(targets)

# %% accuracy
#| export
#| solution accuracy
# Demo student "slow": accuracy counted one row at a time.
def accuracy(logits: Tensor, targets: Tensor) -> float:
    "The fraction of rows whose largest logit is at the target class (the first of tied maxima), as a float."
    scores = logits.data.reshape(-1, logits.data.shape[-1])
    labels = targets.data.reshape(-1)
    right = 0
    for row in range(len(scores)):
        if np.argmax(scores[row]) == labels[row]:
            right += 1
    return right / len(scores)
