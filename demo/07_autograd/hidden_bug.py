# %% unbroadcast
#| export
#| solution unbroadcast
# Demo student "hidden_bug": sums over the added and the stretched dimensions, always: when the
# shapes already agree it returns a new copy (a sum over no axes) instead of grad itself. Every
# value is right; the hidden test that the common case costs nothing fails.
def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `grad` down to `shape`: over the leading dimensions broadcasting added, and over the
    dimensions where `shape` has size 1 but `grad` does not. The gradient of broadcasting."""
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    stretched = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True)

# %% backward (edit)
<<<<<<< reference
#| solution backward
def _seed(root: Tensor, gradient: Any) -> np.ndarray:
=======
#| solution backward
# Demo student "hidden_bug": _accumulate stores the gradient array itself on first use, never a
# copy, without asking `_held_only_here`. Right on the visible test; in the hidden test,
# (x + y).backward() hands both leaves the same array, so a later backward into x changes y.grad too.
def _seed(root: Tensor, gradient: Any) -> np.ndarray:
>>>>>>> student
<<<<<<< reference
    if tensor.grad is None:
        tensor.grad = _wrap(grad if _held_only_here(grad) else np.array(grad))
    else:
=======
    if tensor.grad is None:
        tensor.grad = _wrap(grad)
    else:
>>>>>>> student
