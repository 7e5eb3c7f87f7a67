# %% conv2d_forward
#| export
#| solution conv2d_forward
# Demo student "slow": the forward is the direct loop again, one output position at a time (plus the
# columns, which the backward needs). Right everywhere, but it pays a Python iteration per output
# position: it fails the performance test.
def _conv2d_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None,
                    geo: ConvGeometry) -> tuple[np.ndarray, np.ndarray]:
    """The convolution of `x` (N, C, H, W) with `weight` (O, C/G, kh, kw) plus `bias` (O,) or None, by `_columns`
    and one matrix product per group. Returns the output (N, O, OH, OW), contiguous and of x's dtype, and the
    columns (G, C/G·kh·kw, N·OH·OW)."""
    xp = _pad(x, geo.pads)
    (sh, sw), (dh, dw), (kh, kw), (oh, ow) = geo.stride, geo.dilation, geo.kernel, geo.out
    group_in, group_out = weight.shape[1], weight.shape[0] // geo.groups
    out = np.zeros((x.shape[0], weight.shape[0], oh, ow), dtype=np.result_type(x, weight))
    for g in range(geo.groups):
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * group_in:(g + 1) * group_in,
                           i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
                out[:, g * group_out:(g + 1) * group_out, i, j] = np.tensordot(
                    patch, weight[g * group_out:(g + 1) * group_out], axes=([1, 2, 3], [1, 2, 3]))
    if bias is not None:
        out += bias[:, None, None]
    return out, _columns(x, geo)

# %% conv2d_backward
#| export
#| solution conv2d_backward
# Demo student "slow": the gradients one output position at a time: each position's patch of columns
# gives its share of the weight's gradient, and its input gradient is added to its window in place.
# Correct (overlaps accumulate), but a Python iteration per output position: fails the performance test.
def _conv2d_backward(grad: np.ndarray, cols: np.ndarray, x_shape: tuple[int, ...], weight: np.ndarray,
                     geo: ConvGeometry, needs: tuple[bool, bool, bool] = (True, True, True)
                     ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """The gradients of conv2d with respect to its input (x_shape), weight and bias, from the output's gradient
    `grad` (N, O, OH, OW) and the forward's columns; None for each one `needs` (input, weight, bias) declines."""
    n, o = grad.shape[:2]
    groups = geo.groups
    grad_x = grad_w = grad_b = None
    (sh, sw), (dh, dw), (kh, kw), (oh, ow) = geo.stride, geo.dilation, geo.kernel, geo.out
    group_in, group_out = weight.shape[1], o // groups
    patches = cols.reshape(groups, -1, n, oh, ow)
    padded = np.zeros(geo.padded_shape(x_shape), dtype=grad.dtype)
    w_grad = np.zeros(weight.shape, dtype=grad.dtype)
    for g in range(groups):
        outs = slice(g * group_out, (g + 1) * group_out)
        kernels = weight[outs].reshape(group_out, -1)
        for i in range(oh):
            for j in range(ow):
                g_ij = grad[:, outs, i, j]                                  # (N, O/G)
                w_grad[outs] += (g_ij.T @ patches[g, :, :, i, j].T).reshape(group_out, group_in, kh, kw)
                padded[:, g * group_in:(g + 1) * group_in, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                       j * sw:j * sw + dw * (kw - 1) + 1:dw] += (g_ij @ kernels).reshape(n, group_in, kh, kw)
    if needs[0]:
        grad_x = _crop(padded, geo.pads)
    if needs[1]:
        grad_w = w_grad
    if needs[2]:
        grad_b = grad.sum(axis=(0, 2, 3))
    return grad_x, grad_w, grad_b

# %% max_pool
#| export
#| solution max_pool
# Demo student "slow": max pooling one window at a time (np.argmax over each window's values).
# Correct, ties included, but a Python iteration per window position: fails the performance test.
def _max_pool(x: np.ndarray, geo: PoolGeometry) -> tuple[np.ndarray, np.ndarray]:
    """The maximum of every window of `x` (N, C, H, W) padded with -inf: (N, C, OH, OW), and `where`, an integer
    array of the same shape holding the kernel position (index into geo.slices) of each window's first maximum."""
    xp = _pad(x, geo.pads, -np.inf)
    (sh, sw), (dh, dw), (kh, kw), (oh, ow) = geo.stride, geo.dilation, geo.kernel, geo.out
    best = np.empty(x.shape[:2] + (oh, ow), dtype=x.dtype)
    where = np.empty(best.shape, dtype=np.int32)
    for i in range(oh):
        for j in range(ow):
            window = xp[:, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
            flat = window.reshape(x.shape[0], x.shape[1], -1)
            where[:, :, i, j] = np.argmax(flat, axis=-1)
            best[:, :, i, j] = np.take_along_axis(flat, where[:, :, i, j][..., None], axis=-1)[..., 0]
    return best, where


def _max_pool_backward(grad: np.ndarray, where: np.ndarray, geo: PoolGeometry, x_shape: tuple[int, ...]) -> np.ndarray:
    "The gradient of max pooling for an input of `x_shape`: each output's gradient added to its window's arg-max."
    padded = np.zeros(geo.padded_shape(x_shape), dtype=grad.dtype)
    (sh, sw), (dh, dw), (kh, kw) = geo.stride, geo.dilation, geo.kernel
    n, c = x_shape[:2]
    for i in range(grad.shape[2]):
        for j in range(grad.shape[3]):
            a, b = np.divmod(where[:, :, i, j], kw)
            rows, cols = i * sh + a * dh, j * sw + b * dw
            np.add.at(padded, (np.arange(n)[:, None], np.arange(c)[None, :], rows, cols), grad[:, :, i, j])
    return _crop(padded, geo.pads)
