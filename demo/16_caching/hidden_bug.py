# %% generate_cached (edit)
<<<<<<< reference
                new = sample_next(logits, temperature, top_k, rng)[:, None]
=======
                new = sample_next(logits, 1.0, top_k, rng)[:, None]  # Demo student "hidden_bug": the temperature is ignored
>>>>>>> student
