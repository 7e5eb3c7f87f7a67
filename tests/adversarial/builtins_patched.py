# %% identity
# Attack: replace builtins the tests use (isinstance, len, the error a stub raises, __import__).
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
import builtins

_real_import = builtins.__import__
builtins.isinstance = lambda *args: True
builtins.len = lambda obj: 0
builtins.NotImplementedError = type("NotImplementedError", (Exception,), {})
builtins.__import__ = lambda name, *args, **kwargs: _real_import(name, *args, **kwargs)
builtins.grader_was_here = True
