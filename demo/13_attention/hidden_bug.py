# %% attention_mask (edit)
<<<<<<< reference
    return mask.astype(dtype, copy=False)
=======
    return mask  # Demo student "hidden_bug": a float mask keeps its own dtype (float64 scores for float32 inputs)
>>>>>>> student
# %% attention_forward (edit)
<<<<<<< reference
        keep *= 0.0 if dropout_p == 1 else 1 / (1 - dropout_p)
=======
        # Demo student "hidden_bug": dropout without the 1/(1 - p) scale, so the output shrinks in expectation
>>>>>>> student
