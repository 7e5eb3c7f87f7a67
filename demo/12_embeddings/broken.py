# %% sinusoidal_positions (edit)
<<<<<<< reference
    frequencies = base ** (-np.arange(0, dim, 2) / dim)
=======
    frequencies = base ** (-np.arange(0, dim, 2) / dim  # Demo student "broken": a missing parenthesis (SyntaxError)
>>>>>>> student
# %% embedding_lookup (edit)
<<<<<<< reference
    return table[ids]
=======
    return table.take(ids, axis=2)  # Demo student "broken": a 2-d table has no axis 2 (an AxisError on every lookup)
>>>>>>> student
