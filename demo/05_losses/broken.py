# %% bce
#| export
#| solution bce
# Demo student "broken": the errstate block is written without its colon, a SyntaxError, so nothing
# in the cell runs: binary_cross_entropy and its backward are never defined, their tests fail, and so
# does the loss-module test (BCELoss calls binary_cross_entropy); every other step still passes.
def binary_cross_entropy(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) for probabilities `input` p in [0, 1] and targets t. Each log is
    clamped at -100, as in PyTorch, so p = 0 or 1 gives a large finite loss, not inf."""
    _check_reduction(reduction)
    _check_same_shape("binary_cross_entropy", input, target)
    p, t = input.data, target.data
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError("binary_cross_entropy expects probabilities in [0, 1]: apply sigmoid first")
    with np.errstate(divide="ignore")
        log_p, log_1mp = np.maximum(np.log(p), -100), np.maximum(np.log1p(-p), -100)
    return _reduce(-(t * log_p + (1 - t) * log_1mp), reduction)


def binary_cross_entropy_backward(input: Tensor, target: Tensor, grad_output: Tensor,
                                  reduction: str = "mean") -> Tensor:
    "The gradient of `binary_cross_entropy` with respect to p: (p - t) / (p (1 - p)), the denominator kept ≥ 1e-12."
    p, t = input.data, target.data
    grad = (p - t) / np.maximum(p * (1 - p), 1e-12)
    return _wrap(grad * _reduce_backward(grad_output, p.shape, reduction))
