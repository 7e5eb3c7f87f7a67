# %% magnitude_mask (edit)
<<<<<<< reference
        mask[np.argpartition(scores.ravel(), k - 1)[:k]] = 0
=======
        mask[np.argpartition(scores.ravel(), k)[:k]] = 0  # Demo student "hidden_bug": kth = k is out of range when every entry is pruned
>>>>>>> student
# %% to_csr (edit)
<<<<<<< reference
    np.cumsum(np.bincount(rows, minlength=dense.shape[0]), out=indptr[1:])
=======
    np.cumsum(np.bincount(rows), out=indptr[1:])  # Demo student "hidden_bug": trailing empty rows are not counted
>>>>>>> student
