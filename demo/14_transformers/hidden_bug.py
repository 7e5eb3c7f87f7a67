# %% layer_norm_forward (edit)
<<<<<<< reference
    centred = x - x.mean(axis=axes, keepdims=True)
    rstd = 1.0 / np.sqrt((centred * centred).mean(axis=axes, keepdims=True) + eps)
=======
    # Demo student "hidden_bug": normalises over the last axis only, whatever normalized_shape says
    centred = x - x.mean(axis=-1, keepdims=True)
    rstd = 1.0 / np.sqrt((centred * centred).mean(axis=-1, keepdims=True) + eps)
>>>>>>> student
# %% generate (edit)
<<<<<<< reference
    if top_k is not None and top_k < logits.shape[-1]:
=======
    if top_k is not None:  # Demo student "hidden_bug": top_k larger than the vocabulary makes np.partition fail
>>>>>>> student
