# %% identity
# Attack: walk the garbage collector's objects looking for the grader's state.
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
import gc

found = [o for o in gc.get_objects() if isinstance(o, dict) and "passed" in o]
