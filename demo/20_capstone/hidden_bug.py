# %% shrink_channels (edit)
<<<<<<< reference
    if conv.bias is not None:
        small.bias.data = conv.bias.data[keep].copy()
=======
    small.bias.data = conv.bias.data[keep].copy()  # Demo student "hidden_bug": fails for a convolution without bias
>>>>>>> student
# %% claims (edit)
<<<<<<< reference
    "size_ratio": 6.0,     # 24,360 bytes → 4,028 bytes: 6.05x, counted
=======
    "size_ratio": 8.0,     # Demo student "hidden_bug": claims more than the 6.05x the model has
>>>>>>> student
