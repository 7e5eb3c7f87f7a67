# %% block (edit)
<<<<<<< reference
        x = x + self.attend(x)
=======
        # Demo student "broken": a missing parenthesis is a SyntaxError; Block is never defined
        x = x + self.attend(x
>>>>>>> student
# %% causal_lm_loss (edit)
<<<<<<< reference
    return next_token_loss(logits[:, :-1], tensor(ids[:, 1:]))
=======
    return next_token_loss(logits[:, :-1], ids[:, 1:].long())  # Demo student "broken": ids is a NumPy array (an AttributeError)
>>>>>>> student
