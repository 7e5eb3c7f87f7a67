# %% sigmoid
#| export
#| solution sigmoid
# Demo student "slow": a correct, stable sigmoid and its backward, computed one element at a time
# with NumPy scalars in a Python loop. Passes every correctness test, fails the performance test.
def sigmoid(x: Tensor) -> Tensor:
    "1 / (1 + exp(-x)) elementwise, computed without overflow for any |x|; same shape and dtype."
    data = x.data
    out = np.empty_like(data)
    for index in np.ndindex(data.shape):
        value = data[index]
        if value >= 0:
            out[index] = 1 / (1 + np.exp(-value))
        else:
            out[index] = np.exp(value) / (1 + np.exp(value))
    return _wrap(out)


def sigmoid_backward(y: Tensor, grad_output: Tensor) -> Tensor:
    "The gradient with respect to sigmoid's input, from its output `y` = sigmoid(x): grad_output * y * (1 - y)."
    out = np.empty_like(grad_output.data)
    for index in np.ndindex(out.shape):
        out[index] = grad_output.data[index] * y.data[index] * (1 - y.data[index])
    return _wrap(out)

# %% softmax
#| export
#| solution softmax
# Demo student "slow": softmax with the max subtracted, one element at a time: a loop over every
# slice along dim, and loops over the elements of each slice.
def softmax(x: Tensor, dim: int) -> Tensor:
    "exp(x) normalised to sum to 1 along `dim`, computed with the max subtracted (no overflow); same shape and dtype."
    data = np.moveaxis(x.data, dim, -1)
    out = np.empty_like(data)
    for index in np.ndindex(data.shape[:-1]):
        row = data[index]
        largest = row[0]
        for value in row:
            largest = max(largest, value)
        total = 0
        for j in range(len(row)):
            out[index + (j,)] = np.exp(row[j] - largest)
            total += out[index + (j,)]
        for j in range(len(row)):
            out[index + (j,)] /= total
    return _wrap(np.moveaxis(out, -1, dim))


def softmax_backward(y: Tensor, grad_output: Tensor, dim: int) -> Tensor:
    "The gradient with respect to softmax's input, from its output `y`: y * (grad_output - sum(grad_output * y, dim))."
    ys, gs = np.moveaxis(y.data, dim, -1), np.moveaxis(grad_output.data, dim, -1)
    out = np.empty_like(gs)
    for index in np.ndindex(gs.shape[:-1]):
        dot = 0
        for j in range(gs.shape[-1]):
            dot += gs[index + (j,)] * ys[index + (j,)]
        for j in range(gs.shape[-1]):
            out[index + (j,)] = ys[index + (j,)] * (gs[index + (j,)] - dot)
    return _wrap(np.moveaxis(out, -1, dim))
