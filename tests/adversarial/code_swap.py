# %% identity
# Attack: swap the code of the course's own helper functions in place (same objects, new code).
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
test_eq.__code__ = (lambda *args, **kwargs: None).__code__
test_close.__code__ = (lambda *args, **kwargs: None).__code__
