#!/usr/bin/env bash
# Install bubblewrap (Debian package `bubblewrap`), the sandbox every graded submission runs in,
# and prove that it can create the namespaces grading needs. Fails loudly: without it,
# `python -m course grade` refuses to grade (it never runs a submission unprotected).
set -euo pipefail
if ! command -v bwrap >/dev/null; then
    echo "installing bubblewrap (the grading sandbox)"
    if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
    "${sudo[@]}" apt-get install -y -q bubblewrap >/dev/null || {
        "${sudo[@]}" apt-get update -q >/dev/null && "${sudo[@]}" apt-get install -y -q bubblewrap >/dev/null; } || {
        echo "error: could not install bubblewrap; grading needs it (Debian/Ubuntu: apt-get install bubblewrap)" >&2
        exit 1; }
fi
if ! bwrap --unshare-all --unshare-user --uid 65534 --gid 65534 --cap-drop ALL --die-with-parent \
        --ro-bind / / --proc /proc --dev /dev true; then
    echo "error: bubblewrap cannot create user, PID and network namespaces here; grading needs them" \
         "(enable unprivileged user namespaces, e.g. sysctl kernel.unprivileged_userns_clone=1)" >&2
    exit 1
fi
