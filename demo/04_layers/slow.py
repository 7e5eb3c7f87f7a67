# %% linear
#| export
#| solution linear
# Demo student "slow": a correct linear layer computed one row at a time (a matrix-vector product
# per row in a Python loop), and a vectorised backward. Passes every correctness test, fails the
# performance test of linear.
def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias: `x` (..., in_features), `weight` (out_features, in_features), `bias`
    (out_features,) or None. Raises ValueError naming both shapes when the sizes do not match."""
    if x.data.shape[-1:] != weight.data.shape[1:]:
        raise ValueError(f"linear: input of shape {x.data.shape} does not fit a weight of shape {weight.data.shape}")
    rows = x.data.reshape(-1, x.data.shape[-1])
    out = np.empty((rows.shape[0], weight.data.shape[0]), dtype=np.result_type(x.data, weight.data))
    for i in range(rows.shape[0]):
        out[i] = weight.data @ rows[i]
        if bias is not None:
            out[i] += bias.data
    return _wrap(out.reshape(x.data.shape[:-1] + (weight.data.shape[0],)))


def linear_backward(x: Tensor, weight: Tensor, grad_output: Tensor, has_bias: bool = True,
                    needs_input_grad: bool = True) -> tuple[Tensor | None, Tensor, Tensor | None]:
    "The gradients of `linear(x, weight, bias)` with respect to x, weight and bias."
    g = grad_output.data
    g2, x2 = g.reshape(-1, g.shape[-1]), x.data.reshape(-1, x.data.shape[-1])
    grad_x = _wrap(g @ weight.data) if needs_input_grad else None
    grad_bias = _wrap(g2.sum(axis=0)) if has_bias else None
    return grad_x, _wrap(g2.T @ x2), grad_bias

# %% dropout (edit)
<<<<<<< reference
#| solution dropout
def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
=======
#| solution dropout
# Demo student "slow": a correct, seedable inverted dropout whose mask is drawn one element at a
# time with the generator's scalar random() in a Python loop. Fails the performance test only.
def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
>>>>>>> student
<<<<<<< reference
        return x
    keep = default_generator().random(x.data.shape) >= p
    scale = 0.0 if p == 1 else 1 / (1 - p)
    return x * _wrap((keep * scale).astype(x.data.dtype))

=======
        return x
    generator = default_generator()
    mask = np.empty(x.data.shape, dtype=x.data.dtype)
    for index in np.ndindex(x.data.shape):
        mask[index] = 0.0 if generator.random() < p else 1 / (1 - p)
    return x * _wrap(mask)

>>>>>>> student
