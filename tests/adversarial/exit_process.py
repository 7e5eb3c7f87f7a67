# %% identity
# Attack: leave the process before the tests run.
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
import os

os._exit(0)
