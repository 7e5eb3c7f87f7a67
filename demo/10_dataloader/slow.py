# %% fetch (edit)
<<<<<<< reference
    if collate_fn is None and hasattr(dataset, "__getitems__"):
        return to_tensor(dataset.__getitems__(indices))
    return (collate_fn or default_collate)([dataset[i] for i in indices])
=======
    # Demo student "slow": always reads the examples one at a time and stacks them, even when the
    # dataset could give the whole batch with one __getitems__ call. The same batches (every
    # correctness test passes), a Python call per example: the loader's performance test fails.
    return (collate_fn or default_collate)([dataset[i] for i in indices])
>>>>>>> student

# %% crop_windows (edit)
<<<<<<< reference
    windows = sliding_window_view(padded, (height, width), axis=(2, 3))  # (N, C, H', W', height, width), a view
    return windows[np.arange(len(padded)), :, top, left]
=======
    # Demo student "slow": one slice per image in a Python loop, then np.stack: correct windows, but a
    # few microseconds of Python per image where one indexing call does them all.
    return np.stack([padded[n, :, top[n]:top[n] + height, left[n]:left[n] + width] for n in range(len(padded))])
>>>>>>> student
