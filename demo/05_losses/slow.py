# %% nll
#| export
#| solution nll
# Demo student "slow": a correct nll_loss and backward that visit the samples one at a time in a
# Python loop: the forward adds up -input[i, target[i]] row by row, the backward builds the one-hot
# gradient row by row. Passes every correctness test, fails the performance test.
def nll_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    "The negative log-likelihood -input[i, target[i]] per row i: `input` holds log-probabilities (N, C)."
    _check_reduction(reduction)
    labels = _check_class_indices(input, target)
    losses = np.empty(len(labels), dtype=input.data.dtype)
    for i in range(len(labels)):
        losses[i] = -input.data[i, labels[i]]
    return _reduce(losses, reduction)


def nll_loss_backward(input: Tensor, target: Tensor, grad_output: Tensor, reduction: str = "mean") -> Tensor:
    "The gradient of `nll_loss` with respect to `input`: minus the per-row scale at each row's target, 0 elsewhere."
    labels = target.data
    scale = np.broadcast_to(_reduce_backward(grad_output, labels.shape, reduction), labels.shape)
    grad = np.zeros_like(input.data)
    for i in range(len(labels)):
        grad[i, labels[i]] = -scale[i]
    return _wrap(grad)

# %% cross_entropy
#| export
#| solution cross_entropy
# Demo student "slow": cross_entropy_backward one sample at a time: the softmax of each row, minus
# 1 at its target, times its scale.
def cross_entropy(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """-log softmax(input)[target] per sample, for logits `input` (N, C) and class indices `target`
    (N,): `nll_loss(log_softmax(input, dim=1), target)`. Stable for large logits."""
    return nll_loss(log_softmax(input, dim=1), target, reduction)


def cross_entropy_backward(input: Tensor, target: Tensor, grad_output: Tensor, reduction: str = "mean") -> Tensor:
    "The gradient of `cross_entropy` with respect to the logits: softmax(input) - one_hot(target), per sample scaled."
    labels, x = target.data, input.data
    scale = np.broadcast_to(_reduce_backward(grad_output, labels.shape, reduction), labels.shape)
    grad = np.empty_like(x)
    for i in range(len(labels)):
        exps = np.exp(x[i] - x[i].max())
        grad[i] = exps / exps.sum()
        grad[i, labels[i]] -= 1
        grad[i] *= scale[i]
    return _wrap(grad)
