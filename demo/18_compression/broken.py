# %% slice_norms (edit)
<<<<<<< reference
    rows = np.moveaxis(weight, dim, 0).reshape(weight.shape[dim], -1)
=======
    # Demo student "broken": an unclosed parenthesis is a SyntaxError; slice_norms and structured_mask are never defined
    rows = np.moveaxis(weight, dim, 0).reshape(weight.shape[dim], -1
>>>>>>> student
# %% distillation_loss (edit)
<<<<<<< reference
    kl = (Tensor(np.exp(log_p)) * (Tensor(log_p) - log_q)).sum() / batch
=======
    kl = (Tensor(np.exp(log_p)) * (log_q - Tensor(log_p))).sum() / batch  # Demo student "broken": KL with the sign flipped
>>>>>>> student
