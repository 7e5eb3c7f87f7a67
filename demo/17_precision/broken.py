# %% channel_minmax (edit)
<<<<<<< reference
    others = tuple(a for a in range(x.ndim) if a != axis)
=======
    # Demo student "broken": an unclosed parenthesis is a SyntaxError; channel_minmax is never defined
    others = tuple(a for a in range(x.ndim) if a != axis
>>>>>>> student
# %% grad_scaler (edit)
<<<<<<< reference
            self._scale *= self.backoff_factor
=======
            self._scale /= self.backoff_factor  # Demo student "broken": an overflow doubles the scale
>>>>>>> student
