# %% class_indices
#| export
#| solution class_indices
# Demo student "hidden_bug": checks that labels are below the number of classes but forgets
# negative ones. The visible test uses label 7; the hidden test's label -1 goes through, and NumPy
# would silently read it as the last class.
def _check_class_indices(input: Tensor, target: Tensor) -> np.ndarray:
    """The integer labels of `target`, checked against scores `input` of shape (N, C): a ValueError
    for scores that are not 2-d or targets not of shape (N,), a TypeError for labels that are not
    integers, an IndexError naming a label outside 0..C-1 and the number of classes."""
    if input.data.ndim != 2:
        raise ValueError(f"expected scores of shape (N, C), got {input.data.shape}")
    labels = target.data
    if labels.dtype.kind not in "iu":
        raise TypeError(f"class indices must be integers, got {labels.dtype}; use .long()")
    if labels.shape != input.data.shape[:1]:
        raise ValueError(f"scores of shape {input.data.shape} need targets of shape ({input.data.shape[0]},), "
                         f"got {labels.shape}")
    classes = input.data.shape[1]
    if labels.size and labels.max() >= classes:
        raise IndexError(f"target {labels.max()} is out of range for {classes} classes")
    return labels

# %% bce_logits
#| export
#| solution bce_logits
# Demo student "hidden_bug": binary cross-entropy on logits as the textbook writes it, through
# sigmoid and two logs. Right for the visible test's logits (|x| <= 3); at ±1000 (and in float32
# already at 17) sigmoid rounds to 0 or 1, a log of 0 is taken, and the loss is inf or nan.
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """binary_cross_entropy(sigmoid(input), target) computed from the scores x directly and stably:
    max(x, 0) - x t + log(1 + exp(-|x|))."""
    _check_reduction(reduction)
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    p, t = sigmoid(input).data, target.data
    return _reduce(-(t * np.log(p) + (1 - t) * np.log(1 - p)), reduction)


def binary_cross_entropy_with_logits_backward(input: Tensor, target: Tensor, grad_output: Tensor,
                                              reduction: str = "mean") -> Tensor:
    "The gradient of `binary_cross_entropy_with_logits` with respect to the scores: sigmoid(x) - t."
    grad = sigmoid(input).data - target.data
    return _wrap(grad * _reduce_backward(grad_output, input.data.shape, reduction))
