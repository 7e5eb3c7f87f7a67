# %% topological_order
#| export
#| solution topological_order
# Demo student "slow": the right depth-first post-order with an explicit stack, but the visited
# tensors are kept in a list, so every `in` test scans everything seen so far: the cost grows with
# the square of the graph's size. Correct on every graph; fails the performance test of backward().
def _topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor `root` depends on through recorded operations (with requires_grad), each after all
    its inputs: a depth-first post-order, iterative so deep graphs do not hit the recursion limit."""
    order, visited = [], []
    stack = [root]
    while stack:
        tensor = stack.pop()
        if tensor is None:
            order.append(stack.pop())
            continue
        if id(tensor) in visited:
            continue
        visited.append(id(tensor))
        stack += (tensor, None)
        if tensor.grad_fn is not None:
            for parent in tensor.grad_fn.inputs:
                if isinstance(parent, Tensor) and parent.requires_grad and id(parent) not in visited:
                    stack.append(parent)
    return order

# %% getitem_vjp
#| export
#| solution getitem_vjp
# Demo student "slow": finds where each selected element came from (vectorised), then adds the
# gradients one element at a time in a Python loop. Correct, repeated indices included; fails the
# performance test against np.add.at.
def _getitem_vjp(grad, out, a, index):
    """The gradient of a[index]: `grad` scattered into zeros of a's shape at the selected positions,
    summed where an advanced index selects an element more than once."""
    if isinstance(index, tuple):
        index = tuple(item.data if isinstance(item, Tensor) else item for item in index)
    elif isinstance(index, Tensor):
        index = index.data
    positions = np.arange(a.data.size).reshape(a.data.shape)[index].ravel()
    values = np.broadcast_to(grad, np.shape(a.data[index])).ravel()
    flat = np.zeros(a.data.size, dtype=a.data.dtype)
    for k in range(len(positions)):
        flat[positions[k]] += values[k]
    return (flat.reshape(a.data.shape),)
