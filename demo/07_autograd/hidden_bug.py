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

# %% backward
#| export
#| solution backward
# Demo student "hidden_bug": _accumulate stores the gradient array itself on first use, not a
# copy. Right on the visible test; in the hidden test, (x + y).backward() hands both leaves the
# same array, so a later backward into x changes y.grad too.
def _seed(root: Tensor, gradient: Any) -> np.ndarray:
    "The gradient to start from: 1 for a one-element root, else `gradient`, which must have root's shape."
    if not root.requires_grad:
        raise RuntimeError("backward() on a tensor that does not require grad: no input of the "
                           "computation had requires_grad=True (or it ran under no_grad())")
    if gradient is None:
        if root.data.size != 1:
            raise RuntimeError(f"backward() needs a gradient argument for a tensor of shape {root.data.shape}: "
                               "without one only a single-element (scalar) output can start backpropagation; "
                               "reduce it first (e.g. loss.sum()) or pass gradient=ones of its shape")
        return np.ones_like(root.data)
    seed = np.asarray(gradient.data if isinstance(gradient, Tensor) else gradient, dtype=root.data.dtype)
    if seed.shape != root.data.shape:
        raise ValueError(f"backward(): gradient of shape {seed.shape} does not match the tensor's shape "
                         f"{root.data.shape}")
    return seed


def _accumulate(tensor: Tensor, grad: np.ndarray) -> None:
    "Add `grad` to `tensor.grad` (a new Tensor on first use), in the tensor's dtype."
    grad = grad.astype(tensor.data.dtype, copy=False)
    if tensor.grad is None:
        tensor.grad = _wrap(grad)
    else:
        tensor.grad.data += grad


def grad(output: Tensor, inputs: Sequence[Tensor], grad_output: Any = None) -> tuple[Tensor | None, ...]:
    """The gradients of `output` with respect to each of `inputs` (leaves or intermediate tensors),
    returned, not accumulated into `.grad`; None for an input `output` does not depend on."""
    _, grads = _backpropagate(output, _seed(output, grad_output))
    return tuple(_wrap(grads[id(t)]) if id(t) in grads else None for t in inputs)


@add_methods(Tensor)
class _Backward:
    "Starting backpropagation, and leaving the graph."

    def backward(self, gradient: Any = None) -> None:
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf tensor with requires_grad that self
        depends on. A non-scalar self needs `gradient` (the gradient of some scalar with respect to self)."""
        order, grads = _backpropagate(self, _seed(self, gradient))
        for tensor in order:
            if tensor.grad_fn is None and id(tensor) in grads:
                _accumulate(tensor, grads[id(tensor)])

    def detach(self) -> Tensor:
        "The same values (shared memory), cut from the graph: requires_grad False, no grad_fn."
        return _wrap(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        "Set requires_grad in place (on leaf tensors) and return self."
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError("requires_grad_(False) on a tensor computed by recorded operations: use detach()")
        self.requires_grad = requires_grad
        return self

    def zero_grad(self) -> None:
        "Forget this tensor's accumulated gradient."
        self.grad = None

    @property
    def is_leaf(self) -> bool:
        "True for tensors not made by a recorded operation (inputs and parameters)."
        return self.grad_fn is None
