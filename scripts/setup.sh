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
    echo "$wanted" > "$stamp"
fi
# `python -m course` works from anywhere: a .pth file puts a folder holding only a link to course/
# on sys.path. Not the repository itself: then the reference `tinytorch` would be importable in
# every kernel of this .venv, and a student running plain `jupyter lab` in a clone would silently
# get the solutions. The reference is importable from the repository root (scripts and tests put
# it on the path themselves: tests/conftest.py, examples/, benchmarks/common.py); the grader
# shadows `tinytorch` with a partial library through PYTHONPATH; students use the kit (tito).
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
mkdir -p .venv/course-link
ln -sfn "$(pwd)/course" .venv/course-link/course
echo "$(pwd)/.venv/course-link" > "$site/tinytorch-course.pth"
# The grading sandbox (bubblewrap): instructors grade with it, and the tests prove it holds.
bash scripts/install_sandbox.sh
