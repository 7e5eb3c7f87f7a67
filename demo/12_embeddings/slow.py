# %% embedding_backward
#| export
#| solution embedding_backward
# Demo student "slow": the gradient as the one-hot matrix product it is in mathematics, (N, V) one-hot transposed
# times the (N, D) gradient rows. Correct (every test of values passes) but it multiplies N·V·D numbers, almost all
# by zero, where a scatter-add adds N·D: it fails the performance test.
def embedding_backward(grad_output: np.ndarray, ids: np.ndarray, num_embeddings: int,
                       padding_idx: int | None = None) -> np.ndarray:
    """The gradient of a lookup of `ids` in a (num_embeddings, D) table, given the output's gradient (ids.shape
    + (D,)): for each id, the sum of the gradient rows of all its positions; zero rows for ids that do not
    occur and for `padding_idx`. Same dtype as `grad_output`."""
    dim = grad_output.shape[-1]
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    rows = np.ascontiguousarray(grad_output).reshape(-1, dim)
    one_hot = np.zeros((len(ids), num_embeddings), dtype=rows.dtype)
    one_hot[np.arange(len(ids)), ids] = 1
    grad_weight = one_hot.T @ rows
    if padding_idx is not None:
        grad_weight[padding_idx] = 0
    return grad_weight
