# %% csr_matmul (edit)
<<<<<<< reference
    out = np.zeros((a.shape[0],) + x.shape[1:], dtype=np.result_type(a.data, x))
    nonempty = a.indptr[1:] > a.indptr[:-1]
    if a.nnz:
        products = (a.data[:, None] if x.ndim == 2 else a.data) * x[a.indices]
        out[nonempty] = np.add.reduceat(products, a.indptr[:-1][nonempty], axis=0)
    return out
=======
    # Demo student "slow": a correct product that visits one stored entry at a time in Python. It passes every
    # correctness test and fails the performance test.
    out = np.zeros((a.shape[0],) + x.shape[1:], dtype=np.result_type(a.data, x))
    for row in range(a.shape[0]):
        for entry in range(a.indptr[row], a.indptr[row + 1]):
            out[row] += a.data[entry] * x[a.indices[entry]]
    return out
>>>>>>> student
