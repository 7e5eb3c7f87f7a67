# %% top_channels (edit)
<<<<<<< reference
    norms = slice_norms(conv.weight.data, 2, 0)
=======
    # Demo student "broken": an unclosed parenthesis is a SyntaxError; top_channels, prune_channels and everything
    # built on them (optimize, the model, the claims' checks) fail
    norms = slice_norms(conv.weight.data, 2, 0
>>>>>>> student
