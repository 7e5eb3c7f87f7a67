#!/usr/bin/env bash
# Make PostgreSQL's server binaries available for tests/test_distributed.py, which starts its own
# throw-away server (initdb, pg_ctl) to grade into a shared gradebook. Installs the Debian package
# `postgresql` when no /usr/lib/postgresql/*/bin/initdb exists. Idempotent; called by
# scripts/test.sh. Nothing is started here: the test starts and stops its own server.
set -euo pipefail

fail() {
    echo "install_postgres.sh: $*" >&2
    echo "install_postgres.sh: the PostgreSQL gradebook test (tests/test_distributed.py) cannot run without it." >&2
    exit 1
}

found() { compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; }

if ! found; then
    if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
    command -v apt-get >/dev/null || fail "PostgreSQL is not installed and there is no apt-get to install it"
    echo "installing PostgreSQL (Debian package 'postgresql') for the shared-gradebook test"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get install -y -qq postgresql >/dev/null || {
        "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq postgresql >/dev/null; } \
        || fail "'apt-get install -y postgresql' failed"
    found || fail "'apt-get install postgresql' succeeded but /usr/lib/postgresql/*/bin/initdb is still missing"
fi
# The server refuses to run as root: the test runs it as the `postgres` user the package creates.
id postgres >/dev/null 2>&1 || fail "there is no 'postgres' system user to run the test server as"
echo "PostgreSQL ready: $(ls -d /usr/lib/postgresql/*/bin/initdb | tail -1)"
