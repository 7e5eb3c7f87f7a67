# %% rotate_pairs (edit)
<<<<<<< reference
    even, odd = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = even * cos - odd * sin
    out[..., 1::2] = even * sin + odd * cos
=======
    # Demo student "hidden_bug": written for one (T, D) matrix; with batch and head dimensions in front the
    # columns [:, 0::2] are the wrong axis (the visible tests use (T, D) only)
    even, odd = x[:, 0::2], x[:, 1::2]
    out = np.empty_like(x)
    out[:, 0::2] = even * cos - odd * sin
    out[:, 1::2] = even * sin + odd * cos
>>>>>>> student
# %% token_windows (edit)
<<<<<<< reference
        windows = self.ids[indices[:, None] * self.stride + np.arange(self.block_size + 1)]
=======
        # Demo student "hidden_bug": windows start at k·block_size, so a stride other than block_size is ignored
        windows = self.ids[indices[:, None] * self.block_size + np.arange(self.block_size + 1)]
>>>>>>> student
