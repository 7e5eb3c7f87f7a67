# %% tile_max (edit)
<<<<<<< reference
    for position in range(k * k - 2, -1, -1):  # backwards: the first position equal to the maximum wins
=======
    for position in range(k * k - 1):  # Demo student "hidden_bug": forwards, so among equal maxima the last one wins
>>>>>>> student
# %% blocked_matmul (edit)
<<<<<<< reference
    out = np.zeros((m, n), dtype=np.result_type(a, b))
=======
    out = np.zeros((m, n), dtype=a.dtype)  # Demo student "hidden_bug": a's dtype, so float32 @ float64 comes out float32
>>>>>>> student
