# %% patches (edit)
<<<<<<< reference
    cols = np.empty((n, oh, ow, kh, kw, c), dtype=xh.dtype)
=======
    # Demo student "broken": a missing parenthesis is a SyntaxError; patches and patches_backward are never defined
    cols = np.empty((n, oh, ow, kh, kw, c), dtype=xh.dtype
>>>>>>> student
