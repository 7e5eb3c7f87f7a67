# %% to_array
#| export
#| solution to_array
# Demo student "broken": a leftover debugging loop at the top of the to_array cell never ends, so
# the cell times out and to_array is never defined. Tensor() then fails everywhere; only the
# tests of as_dtype, broadcast_shapes and contiguous_strides (which need no tensor) still pass.
while True:
    pass


def to_array(data: Any, dtype: Any = None, *, copy: bool = False) -> np.ndarray:
    """`data` (a Tensor, ndarray, NumPy scalar, Python number or nested list) as an ndarray for a tensor."""
    target = None if dtype is None else as_dtype(dtype)
    if isinstance(data, Tensor):
        data = data.data
    array = np.array(data, copy=copy)
    return array if target is None else array.astype(target)
