# %% collate (edit)
<<<<<<< reference
        return type(first)(default_collate([s[i] for s in samples]) for i in range(len(first)))
=======
        # Demo student "hidden_bug": every sequence comes back as a tuple, lists included. The visible
        # tests collate tuples and dicts; the hidden test's list of examples notices.
        return tuple(default_collate([s[i] for s in samples]) for i in range(len(first)))
>>>>>>> student

# %% memmap (edit)
<<<<<<< reference
        batch = tuple(np.asarray(a[rows]) for a in self.arrays)  # fancy indexing copies just these rows
        return batch if len(batch) > 1 else batch[0]
=======
        # Demo student "hidden_bug": always a tuple, also for a dataset of one file (where __getitem__
        # gives an array). The visible test has two files; the hidden test has one.
        return tuple(np.asarray(a[rows]) for a in self.arrays)
>>>>>>> student
