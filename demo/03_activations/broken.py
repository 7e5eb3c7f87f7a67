# %% gelu
#| export
#| solution gelu
# Demo student "broken": a parenthesis left open in gelu's formula is a SyntaxError, so nothing in
# the cell runs: gelu and gelu_backward are never defined and their tests fail; every other step
# still passes.
_SQRT_HALF = math.sqrt(0.5)  # 1/√2: Φ(x) = ½ (1 + erf(x/√2))
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)  # φ(x) = exp(-x²/2) / √(2π)
_GELU_C = math.sqrt(2 / math.pi)  # c in u = c (x + a x³)
_GELU_A = 0.044715  # a


def _check_approximate(approximate: str) -> None:
    "PyTorch's two forms of GELU: 'none' (exact, the default) and 'tanh'."
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu's approximate must be 'none' (the exact erf form) or 'tanh', got {approximate!r}")


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """GELU elementwise: x Φ(x) = ½ x (1 + erf(x/√2)), or with approximate='tanh' its approximation
    ½ x (1 + tanh(c (x + a x³))); same shape and dtype."""
    _check_approximate(approximate)
    if approximate == "tanh":
        return _wrap(0.5 * x.data * (1 + np.tanh(_GELU_C * (x.data + _GELU_A * x.data * x.data * x.data))))
    return _wrap(x.data * 0.5 * (1 + _erf(x.data * _SQRT_HALF))


def gelu_backward(x: Tensor, grad_output: Tensor, approximate: str = "none") -> Tensor:
    """The gradient with respect to gelu's input `x`, times `grad_output`: Φ(x) + x φ(x) for the exact form,
    the derivative of the tanh approximation for approximate='tanh'."""
    _check_approximate(approximate)
    if approximate == "tanh":
        t = np.tanh(_GELU_C * (x.data + _GELU_A * x.data * x.data * x.data))
        return _wrap(grad_output.data * (0.5 * (1 + t) + 0.5 * x.data * (1 - t * t) * _GELU_C
                                         * (1 + 3 * _GELU_A * x.data * x.data)))
    cdf = 0.5 * (1 + _erf(x.data * _SQRT_HALF))
    return _wrap(grad_output.data * (cdf + x.data * _INV_SQRT_2PI * np.exp(-0.5 * x.data * x.data)))
