# %% round_bfloat16 (edit)
<<<<<<< reference
    return np.where(np.isnan(x), np.float32(np.nan), rounded)
=======
    return rounded  # Demo student "hidden_bug": a NaN whose set bits are all in the low half becomes infinity
>>>>>>> student
# %% grad_scaler (edit)
<<<<<<< reference
            self._scale *= self.backoff_factor
            self._growth_tracker = 0
=======
            self._scale *= self.backoff_factor  # Demo student "hidden_bug": the count of good steps survives an overflow
>>>>>>> student
