# %% cached_attention (edit)
<<<<<<< reference
    mask = None if L == 1 else causal_mask(L, S, q.dtype)
=======
    # Demo student "broken": an unclosed parenthesis is a SyntaxError; cached_attention is never defined
    mask = None if L == 1 else causal_mask(L, S, q.dtype
>>>>>>> student
