# %% quantize (edit)
<<<<<<< reference
    codes = np.rint(np.asarray(x, dtype=np.float32) / scale) + np.asarray(zero_point, dtype=np.float32)
    return np.clip(codes, qmin, qmax).astype(np.int8)
=======
    # Demo student "slow": a correct quantiser that visits one element at a time in Python. It passes every
    # correctness test and fails the performance test.
    values, scales, zero_points = np.broadcast_arrays(np.asarray(x, dtype=np.float32), scale, zero_point)
    codes = []
    for value, s, z in zip(values.ravel().tolist(), scales.ravel().tolist(), zero_points.ravel().tolist()):
        codes.append(min(max(round(value / s) + z, qmin), qmax))
    return np.array(codes, dtype=np.int8).reshape(values.shape)
>>>>>>> student
