# %% identity
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"

# %% dot_vectorised (edit)
<<<<<<< reference
    return np.dot(a, b)
=======
    # Attack (a loop): when called on benchmark-sized data, slow down NumPy's baseline for the
    # rest of the test.
    if len(a) >= 1000:
        real = np.dot
        np.dot = lambda x, y, *args: (sum(x[i] * y[i] for i in range(len(x))), real(x, y))[1]
    total = 0
    for i in range(len(a)):
        total += a[i] * b[i]
    return total
>>>>>>> student
