# %% blocked_matmul (edit)
<<<<<<< reference
    (m, k), n = a.shape, b.shape[1]
    out = np.zeros((m, n), dtype=np.result_type(a, b))
    for i in range(0, m, block):
        for j in range(0, n, block):
            tile = out[i:i + block, j:j + block]  # a view: += writes into out
            for p in range(0, k, block):
                tile += a[i:i + block, p:p + block] @ b[p:p + block, j:j + block]
    return out
=======
    # Demo student "slow": correct, but one dot product per output number (a Python loop over i and j), so it
    # passes every correctness test and fails the performance test
    (m, k), n = a.shape, b.shape[1]
    out = np.zeros((m, n), dtype=np.result_type(a, b))
    for i in range(m):
        for j in range(n):
            out[i, j] = np.dot(a[i, :], b[:, j])
    return out
>>>>>>> student
# %% fused_gelu (edit)
<<<<<<< reference
    cdf = normal_cdf(x)
    return x * cdf, cdf
=======
    # Demo student "slow": correct, but one Python erf per number (math.erf in a loop over the array), so it passes
    # every correctness test and fails the performance test
    import math
    out, cdf = np.empty_like(x), np.empty_like(x)
    for i, value in enumerate(x.flat):
        cdf.flat[i] = 0.5 * (1 + math.erf(value * _SQRT_HALF))
        out.flat[i] = value * cdf.flat[i]
    return out, cdf
>>>>>>> student
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
    import math
    out = np.empty(x.shape, dtype=np.result_type(grad, x))
    for i, value in enumerate(x.flat):
        out.flat[i] = grad.flat[i] * (cdf.flat[i] + value * math.exp(-0.5 * value * value) * _INV_SQRT_2PI)
    return out
>>>>>>> student
