# %% kv_cache (edit)
<<<<<<< reference
        return self.keys[layer, :, :, :stop], self.values[layer, :, :, :stop]
=======
        # Demo student "slow": returns copies, which move every stored position again at every step (as re-concatenating
        # would). Correct, and fails the performance test of the cache.
        return self.keys[layer, :, :, :stop].copy(), self.values[layer, :, :, :stop].copy()
>>>>>>> student
# %% generate_cached (edit)
<<<<<<< reference
                if cache.get_seq_length() + new.shape[1] > block_size:
                    cache.reset()
                    new = out[:, -block_size:]
=======
                # Demo student "slow": recomputes the whole window at every step (the cache is refilled each time).
                # The same ids, and fails the performance test of generation.
                cache.reset()
                new = out[:, -block_size:]
>>>>>>> student
