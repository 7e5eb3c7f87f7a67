# %% identity
# Attack: read and write the interpreter's memory with ctypes.
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
import ctypes

raw = ctypes.string_at(id(STUDENT_NAME), 16)
