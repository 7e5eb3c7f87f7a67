# %% identity
# Attack (on the slow student's loops): a thread that keeps the clock stopped while tests run.
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
import threading
import time


def keep_patching():
    while True:
        time.perf_counter = lambda: 0.0
        time.sleep(0.0001)


threading.Thread(target=keep_patching, daemon=True).start()
