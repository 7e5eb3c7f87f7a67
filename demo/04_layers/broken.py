# %% linear_init
#| export
#| solution linear_init
# Demo student "broken": np.empty(out_features, in_features) instead of np.empty((out_features,
# in_features)): NumPy reads the second number as a dtype, so every Linear(...) raises TypeError.
# The cell itself runs; the two tests that build a Linear fail, every other step still passes.
def uniform_(tensor: Tensor, low: float, high: float) -> Tensor:
    "Fill `tensor` in place with samples from U(low, high), drawn from the generator `manual_seed` sets."
    tensor.data[...] = default_generator().uniform(low, high, tensor.data.shape)
    return tensor


class Linear(Module):
    """y = x Wᵀ + b. `weight` is (out_features, in_features) and `bias` (out_features,), both drawn
    from U(-1/√in_features, 1/√in_features), which is PyTorch's default initialisation."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: Any = None):
        "Parameters drawn from default_generator()."
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features)
        self.weight = uniform_(Parameter(np.empty(out_features, in_features)), -bound, bound)
        self.bias = uniform_(Parameter(np.empty(out_features)), -bound, bound) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
