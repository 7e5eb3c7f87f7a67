# %% crop_windows (edit)
<<<<<<< reference
def crop_windows(padded: np.ndarray, top: np.ndarray, left: np.ndarray, height: int, width: int) -> np.ndarray:
=======
# Demo student "broken": a missing closing parenthesis is a SyntaxError, so nothing in this cell runs:
# crop_windows, RandomCrop and RandomShift are never defined, and every test and demonstration that
# augments with a random shift fails with a NameError; the loader without transforms still works.
def crop_windows(padded: np.ndarray, top: np.ndarray, left: np.ndarray, height: int, width: int -> np.ndarray:
>>>>>>> student

# %% loader (edit)
<<<<<<< reference
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
=======
        # Demo student "broken": a true division, so len() gets a float and raises a TypeError
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else n / self.batch_size
>>>>>>> student
