# %% identity
# Attack: exhaust the machine's memory.
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
try:
    hog = bytearray(64 * 2**30)
except MemoryError:
    print("MemoryError, as it should")
