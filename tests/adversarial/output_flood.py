# %% identity
# Attack: flood the output below print (straight to the descriptors) to bloat the notebook.
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
import os
import sys

chunk = b"x" * (1 << 20)
for _ in range(50):
    try:
        os.write(1, chunk)
        os.write(2, chunk)
    except OSError:
        break
sys.__stdout__.write("y" * (1 << 20))
