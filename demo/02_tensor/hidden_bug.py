# %% sum_mean (edit)
<<<<<<< reference
#| solution sum_mean
def _axis(dim: Dim) -> int | tuple[int, ...] | None:
=======
#| solution sum_mean
# Demo student "hidden_bug": mean divides the sum by the size of `dim` when it is an int, and by
# the number of all elements otherwise, so a tuple of dims (0, 2) divides by too much. The visible
# tests (dim None, dim=0) pass; the hidden test of tuple dims fails.
def _axis(dim: Dim) -> int | tuple[int, ...] | None:
>>>>>>> student
<<<<<<< reference
        "The mean over `dim` (an int, negative from the end, or a tuple; None: all), dropped unless `keepdim`."
        return _wrap(self.data.mean(axis=_axis(dim), keepdims=keepdim))
=======
        "The mean over `dim` (an int, negative from the end, or a tuple; None: all), dropped unless `keepdim`."
        count = self.shape[dim] if isinstance(dim, int) else self.numel()
        return self.sum(dim=dim, keepdim=keepdim) / count
>>>>>>> student
