# %% identity
# Attack (on the slow student's loops): a profiling timer whose handler stops the clock again
# and again, also while the tests run.
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
import signal
import time


def patch(signum, frame):
    time.perf_counter = lambda: 0.0


signal.signal(signal.SIGPROF, patch)
signal.setitimer(signal.ITIMER_PROF, 0.001, 0.001)
