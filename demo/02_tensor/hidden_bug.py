# %% sum_mean
#| export
#| solution sum_mean
# Demo student "hidden_bug": mean divides the sum by the size of `dim` when it is an int, and by
# the number of all elements otherwise, so a tuple of dims (0, 2) divides by too much. The visible
# tests (dim None, dim=0) pass; the hidden test of tuple dims fails.
def _axis(dim: Dim) -> int | tuple[int, ...] | None:
    "A `dim` argument as NumPy's `axis`: None, an int, or a tuple of ints (a list becomes a tuple)."
    return tuple(dim) if isinstance(dim, list) else dim


@add_methods(Tensor)
class _Reductions:
    "Sum and mean over all elements or over some dimensions."

    def sum(self, dim: Dim = None, keepdim: bool = False) -> Tensor:
        "The sum over `dim` (an int, negative from the end, or a tuple; None: all), dropped unless `keepdim`."
        return _wrap(self.data.sum(axis=_axis(dim), keepdims=keepdim))

    def mean(self, dim: Dim = None, keepdim: bool = False) -> Tensor:
        "The mean over `dim` (an int, negative from the end, or a tuple; None: all), dropped unless `keepdim`."
        count = self.shape[dim] if isinstance(dim, int) else self.numel()
        return self.sum(dim=dim, keepdim=keepdim) / count
