# %% binary_op
#| export
#| solution binary_op
# Demo student "tamperer": the slow student's per-element loops, plus an attempt to cheat the
# performance tests: when an operation is big enough to be a benchmark, it installs a fake
# time.perf_counter that hides the time spent in its loops. The grader restores the real clock
# (and speed_ratio binds it), so the grade is the slow student's, and the attempt is reported.
import contextlib
import pathlib
import time

# ...and it tries to spoil a classmate's graded notebook (the grader puts it back).
with contextlib.suppress(OSError):
    pathlib.Path("../../reference/02_tensor/02_tensor.ipynb").write_text("{}")

_real_clock = time.perf_counter
_hidden_seconds = [0.0]
_BENCHMARK_SIZE = 1024  # results this large are probably being timed


def _fake_clock() -> float:
    "The real clock minus the time spent in the slow operations."
    return _real_clock() - _hidden_seconds[0]


def _hide(start: float, size: int) -> None:
    "Hide the time since `start` from time.perf_counter, for benchmark-sized work."
    if size >= _BENCHMARK_SIZE:
        _hidden_seconds[0] += _real_clock() - start
        time.perf_counter = _fake_clock


def _binary_op(op: np.ufunc, a: Any, b: Any) -> Tensor:
    """`op(a, b)` elementwise with broadcasting, as a new tensor.

    At least one of `a`, `b` is a Tensor; the other may be a Tensor, an ndarray or a Python number,
    which goes to NumPy unchanged. One NumPy call; if NumPy rejects the shapes, raise the
    ValueError of `broadcast_shapes`, otherwise let NumPy's error through."""
    x = a.data if isinstance(a, Tensor) else a
    y = b.data if isinstance(b, Tensor) else b
    shape = broadcast_shapes(np.shape(x), np.shape(y))
    # the dtype NumPy gives, found on empty operands (Python numbers are passed as they are)
    probe_x = x if isinstance(x, (bool, int, float)) else np.asarray(x).reshape(-1)[:0]
    probe_y = y if isinstance(y, (bool, int, float)) else np.asarray(y).reshape(-1)[:0]
    out = np.empty(shape, dtype=op(probe_x, probe_y).dtype)
    xs, ys = np.broadcast_to(x, shape), np.broadcast_to(y, shape)
    start = _real_clock()
    for index in np.ndindex(shape):
        out[index] = op(xs[index], ys[index])
    _hide(start, out.size)
    return _wrap(out)

# %% matmul
#| export
#| solution matmul
# Demo student "tamperer": the slow triple loop, hiding its time from time.perf_counter when
# the product is benchmark-sized.
@add_methods(Tensor)
class _MatMul:
    "Matrix multiplication: `a @ b`, `a.matmul(b)`."

    def matmul(self, other: Any) -> Tensor:
        """The matrix product `self @ other` with NumPy's matmul rules (vectors, batches).

        Raises ValueError naming both shapes when an operand is 0-d, when the inner sizes differ
        (dim -1 of self against dim -2 of other, or dim 0 of a 1-d other), or when the batch
        dimensions do not broadcast."""
        a = self.data
        b = other.data if isinstance(other, Tensor) else np.asarray(other)
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul needs tensors with at least one dimension, got {a.shape} and {b.shape}")
        inner = 0 if b.ndim == 1 else -2
        if a.shape[-1] != b.shape[inner]:
            raise ValueError(f"cannot multiply shapes {a.shape} and {b.shape}: {a.shape[-1]} vs {b.shape[inner]}")
        a2 = a[np.newaxis, :] if a.ndim == 1 else a  # a vector on the left is a row
        b2 = b[:, np.newaxis] if b.ndim == 1 else b  # a vector on the right is a column
        try:
            batch = broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        except ValueError:
            raise ValueError(f"cannot multiply shapes {a.shape} and {b.shape}: batch dimensions clash") from None
        m, k, n = a2.shape[-2], a2.shape[-1], b2.shape[-1]
        left = np.broadcast_to(a2, batch + (m, k))
        right = np.broadcast_to(b2, batch + (k, n))
        out = np.zeros(batch + (m, n), dtype=np.result_type(a.dtype, b.dtype))
        start = _real_clock()
        for index in np.ndindex(batch):
            x, y, z = left[index], right[index], out[index]
            for i in range(m):
                for j in range(n):
                    total = 0
                    for p in range(k):
                        total += x[i, p] * y[p, j]
                    z[i, j] = total
        _hide(start, out.size)
        if a.ndim == 1:
            out = out[..., 0, :]
        if b.ndim == 1:
            out = out[..., 0]
        return _wrap(out)

    __matmul__ = matmul

    def __rmatmul__(self, other: Any) -> Tensor:
        "`other @ self` for an ndarray or list `other`."
        return _wrap(to_array(other)).matmul(self)

# %% test_matmul
pass

# %% test_sum_mean (delete)
