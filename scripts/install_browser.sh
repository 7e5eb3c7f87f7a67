#!/usr/bin/env bash
# Make the browser test suite (tests/browser) runnable: Debian's Chromium and the Playwright
# Python package in .venv. Idempotent; called by scripts/test.sh.
#
# Playwright only drives the system Chromium (executable_path=/usr/bin/chromium): never run
# `playwright install`, which downloads a browser build and cannot work here.
# Set TINYTORCH_CHROMIUM to use another Chromium binary.
set -euo pipefail
cd "$(dirname "$0")/.."

chromium=${TINYTORCH_CHROMIUM:-/usr/bin/chromium}

fail() {
    echo "install_browser.sh: $*" >&2
    echo "install_browser.sh: the browser tests (tests/browser) cannot run without it." >&2
    exit 1
}

if [ ! -x "$chromium" ]; then
    if [ -n "${TINYTORCH_CHROMIUM:-}" ]; then
        fail "TINYTORCH_CHROMIUM=$chromium is not an executable file"
    fi
    if [ "$(id -u)" != 0 ]; then
        fail "Chromium is not installed ($chromium missing) and we are not root: run 'sudo apt-get install -y chromium'"
    fi
    if ! command -v apt-get >/dev/null; then
        fail "Chromium is not installed ($chromium missing) and there is no apt-get to install it"
    fi
    echo "installing Chromium (Debian package 'chromium') for the browser tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || fail "'apt-get update' failed"
    apt-get install -y -qq chromium >/dev/null \
        || fail "'apt-get install -y chromium' failed"
    [ -x "$chromium" ] || fail "'apt-get install chromium' succeeded but $chromium is still missing"
fi

# The Debian wrapper script prints a harmless shell warning on stderr; only the exit code counts.
version=$("$chromium" --version 2>/dev/null) || true
case "$version" in
    *[Cc]hromium*) ;;
    *) fail "'$chromium --version' does not run: the Chromium install is broken" ;;
esac

if [ ! -x .venv/bin/python ]; then
    fail ".venv is missing: run scripts/setup.sh first"
fi
if ! .venv/bin/python -c "import playwright.sync_api" 2>/dev/null; then
    # requirements.txt pins it (scripts/setup.sh installs it); install the pin if it is missing.
    pin=$(grep -E '^playwright==' requirements.txt || true)
    [ -n "$pin" ] || fail "requirements.txt does not pin playwright"
    echo "installing $pin into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "$pin" \
        || fail "could not install $pin into .venv"
    .venv/bin/python -c "import playwright.sync_api" || fail "playwright still not importable in .venv"
fi
echo "browser tests ready: $version, playwright $(.venv/bin/python -c 'from importlib.metadata import version; print(version("playwright"))')"
