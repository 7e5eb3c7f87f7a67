# %% identity
# Attack: a trace function (which could jump over failing lines of a test).
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
import sys
import threading


def tracer(frame, event, arg):
    return tracer


sys.settrace(tracer)
threading.settrace(tracer)
