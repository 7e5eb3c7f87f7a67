# %% identity
# Attack: replace the grader's own functions (the runner, the error formatter, its event list).
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
import sys

harness = sys.modules["grader_harness"]
harness._run_instructor = lambda index, source, test: None
harness.UNTRUSTED_EVENTS.clear()
harness.PASSED_LINE = "\n"
