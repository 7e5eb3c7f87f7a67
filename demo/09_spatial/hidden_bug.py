# %% conv2d_loop (edit)
<<<<<<< reference
#| solution conv2d_loop
=======
#| solution conv2d_loop
# Demo student "hidden_bug": the patch takes kh consecutive rows and kw consecutive columns, ignoring
# the dilation. Right for every visible test (none is dilated); the hidden test's dilated case fails.
>>>>>>> student
<<<<<<< reference
                patch = inputs[:, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
=======
                patch = inputs[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
>>>>>>> student

# %% max_pool (edit)
<<<<<<< reference
#| solution max_pool
=======
#| solution max_pool
# Demo student "hidden_bug": pads with zeros instead of -inf. The visible tests pool non-negative
# values, where a zero never wins; the hidden test's negative inputs with padding get 0 as their maximum.
>>>>>>> student
<<<<<<< reference
    xp = _pad(x, geo.pads, -np.inf)
    windows = [xp[:, :, rows, cols] for rows, cols in geo.slices]
=======
    xp = _pad(x, geo.pads)
    windows = [xp[:, :, rows, cols] for rows, cols in geo.slices]
>>>>>>> student
