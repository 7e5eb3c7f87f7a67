# %% softmax
#| export
#| solution softmax
# Demo student "hidden_bug": the textbook softmax, exp(x) / sum(exp(x)), without subtracting the
# max. Right for the small logits of the visible test; the hidden test's logits of 1000 overflow
# exp to inf and the result to nan.
def softmax(x: Tensor, dim: int) -> Tensor:
    "exp(x) normalised to sum to 1 along `dim`, computed with the max subtracted (no overflow); same shape and dtype."
    exps = np.exp(x.data)
    return _wrap(exps / exps.sum(axis=dim, keepdims=True))


def softmax_backward(y: Tensor, grad_output: Tensor, dim: int) -> Tensor:
    "The gradient with respect to softmax's input, from its output `y`: y * (grad_output - sum(grad_output * y, dim))."
    return _wrap(y.data * (grad_output.data - (grad_output.data * y.data).sum(axis=dim, keepdims=True)))
