# %% identity
# Attack: start processes that outlive grading (a new session; a double-forked daemon).
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
import os
import subprocess
import sys

subprocess.Popen(["sleep", "{MARKER_NUMBER}"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep({MARKER_NUMBER}1)"])
    os._exit(0)
