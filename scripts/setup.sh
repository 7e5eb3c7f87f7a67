#!/usr/bin/env bash
# Create .venv with the pinned course toolchain and the reference library (idempotent).
# Used by scripts/demo.sh and scripts/test.sh; Python 3.11 and pip are all it needs, plus
# bubblewrap for grading (scripts/install_sandbox.sh).
# WITH_TORCH=1 also installs the optional PyTorch reference (requirements-torch.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "creating .venv with $($python --version)"
    "$python" -m venv .venv
fi
stamp=.venv/.tinytorch-installed
requirements=(-r requirements.txt)
if [ "${WITH_TORCH:-0}" = 1 ]; then
    requirements+=(-r requirements-torch.txt)
fi
wanted=$(cat requirements*.txt pyproject.toml <(echo "${requirements[*]}") | sha1sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "installing the course toolchain (${requirements[*]}) into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "${requirements[@]}"
    # The repository goes on sys.path as a plain path entry (a .pth file), not as an editable
    # install: the grader shadows `tinytorch` with a partial library through PYTHONPATH, which
    # setuptools' editable import hook would bypass for submodules.
    site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    pwd > "$site/tinytorch-course.pth"
    echo "$wanted" > "$stamp"
fi
# The grading sandbox (bubblewrap): instructors grade with it, and the tests prove it holds.
bash scripts/install_sandbox.sh
