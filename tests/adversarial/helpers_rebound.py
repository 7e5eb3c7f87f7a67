# %% identity
# Attack: rebind the test helpers the course's cells defined, so that every check passes.
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
test_eq = test_close = test_fail = lambda *args, **kwargs: None
error_message = lambda *args, **kwargs: None
