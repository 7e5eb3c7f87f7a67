# %% identity
# Attack (on the slow student's loops): stop the clocks, so that everything takes no time.
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
import time

for name in ("perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns", "time", "process_time"):
    setattr(time, name, lambda: 0)
