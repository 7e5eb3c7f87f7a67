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
