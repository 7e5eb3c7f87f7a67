# %% split_heads (edit)
<<<<<<< reference
    n, t, e = x.shape
=======
    # Demo student "broken": a missing parenthesis is a SyntaxError; split_heads and merge_heads are never defined
    n, t, e = (x.shape
>>>>>>> student
# %% attention_backward (edit)
<<<<<<< reference
    return grad_weights @ k, np.swapaxes(grad_weights, -1, -2) @ q, grad_v
=======
    return grad_weights @ k, np.swapaxes(grad_weights, -1, -2) @ k, grad_v  # Demo student "broken": k for q (a ValueError when L != S)
>>>>>>> student
