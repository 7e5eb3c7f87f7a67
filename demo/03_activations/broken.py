# %% gelu
#| export
#| solution gelu
# Demo student "broken": a parenthesis left open in gelu's formula is a SyntaxError, so nothing in
# the cell runs: gelu and gelu_backward are never defined and their tests fail; every other step
# still passes.
_GELU_C = math.sqrt(2 / math.pi)  # c in u = c (x + a x³)
_GELU_A = 0.044715  # a


def gelu(x: Tensor, approximate: str = "tanh") -> Tensor:
    "GELU elementwise by the tanh approximation, 0.5 x (1 + tanh(c (x + a x³))); same shape and dtype."
    if approximate != "tanh":
        raise ValueError(f"gelu supports approximate='tanh' only, got {approximate!r}")
    return _wrap(0.5 * x.data * (1 + np.tanh(_GELU_C * (x.data + _GELU_A * x.data * x.data * x.data)))


def gelu_backward(x: Tensor, grad_output: Tensor) -> Tensor:
    "The gradient with respect to gelu's input `x` (tanh approximation), times `grad_output`."
    t = np.tanh(_GELU_C * (x.data + _GELU_A * x.data * x.data * x.data))
    return _wrap(grad_output.data * (0.5 * (1 + t) + 0.5 * x.data * (1 - t * t) * _GELU_C
                                     * (1 + 3 * _GELU_A * x.data * x.data)))
