# %% char_tokenizer (edit)
<<<<<<< reference
            if not isinstance(index, (int, np.integer)) or not 0 <= index < len(self.itos):
=======
            # Demo student "hidden_bug": only Python ints are ids, so NumPy ids (a model's output) are refused
            if not isinstance(index, int) or not 0 <= index < len(self.itos):
>>>>>>> student
# %% train_bpe (edit)
<<<<<<< reference
    for new_id in range(256, 256 + merges_wanted(vocab_size, special_tokens)):
=======
    # Demo student "hidden_bug": the special tokens are forgotten, so one merge too many is learnt per token
    for new_id in range(256, 256 + merges_wanted(vocab_size)):
>>>>>>> student
# %% bpe_tokenizer (edit)
<<<<<<< reference
            if not isinstance(token_id, (int, np.integer)):
=======
            if not isinstance(token_id, int):  # Demo student "hidden_bug": NumPy ids refused
>>>>>>> student
