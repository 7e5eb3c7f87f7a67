# %% tile_max (edit)
<<<<<<< reference
        np.maximum(where, (entries > best) * np.int8(position), out=where)
=======
        # Demo student "hidden_bug": >= moves the maximum on ties too, so among equal maxima the last one wins
        np.maximum(where, (entries >= best) * np.int8(position), out=where)
>>>>>>> student
# %% blocked_matmul (edit)
<<<<<<< reference
    out = np.zeros((m, n), dtype=np.result_type(a, b))
=======
    out = np.zeros((m, n), dtype=a.dtype)  # Demo student "hidden_bug": a's dtype, so float32 @ float64 comes out float32
>>>>>>> student
# %% fused_gelu (edit)
<<<<<<< reference
    out = np.multiply(x, x)
    out *= -0.5
    np.exp(out, out=out)
    out *= _INV_SQRT_2PI
    out *= x
    out += cdf
    out *= grad
    return out
=======
    # Demo student "hidden_bug": divides by np.sqrt(2 * np.pi), a float64 scalar, so float32 gradients come out
    # float64 (NumPy 2's promotion); the visible tests use float64 and pass, the hidden float32 check fails
    pdf = np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)
    return grad * (cdf + x * pdf)
>>>>>>> student
