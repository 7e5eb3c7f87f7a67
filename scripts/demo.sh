#!/usr/bin/env bash
# Quick start 1: set up, build the library and the course, autograde the demo class, print grades.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m course demo
