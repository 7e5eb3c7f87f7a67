#!/usr/bin/env bash
# Quick start 2: set up, then run the whole test suite (CI runs exactly this: .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_TORCH=1 bash scripts/setup.sh   # PyTorch too: the reference the library is checked against
bash scripts/install_browser.sh   # Chromium (Debian package) for tests/browser; fails loudly if it cannot
bash scripts/install_postgres.sh  # PostgreSQL server binaries for the shared-gradebook test (tests/test_distributed.py)
# Two workers (CI has 2 cores), each running whole test files (--dist loadfile: a file's fixtures,
# e.g. the graded demo class, are built once), in the order tests/conftest.py gives them (longest
# first; xdist would otherwise start the files with the most tests); TEST_WORKERS=0 runs everything
# in this process.
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" --dist loadfile --no-loadscope-reorder "$@"
