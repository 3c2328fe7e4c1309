#!/usr/bin/env bash
# Keybound's test command: installs what the tests need on a fresh machine, then runs `swift test`.
#
#   ./test.sh                 set up, then swift test (any extra arguments go to swift test)
#   ./test.sh --setup-only    set up only (CI runs this before the release build)
#
# What it installs, only when missing: the SQLite headers GRDB links against (apt-get
# libsqlite3-dev), SoftHSM2 and the PKCS#11 header (apt-get softhsm2 libp11-kit-dev: the key
# custody tests initialise a token in a temporary directory), gdb (its `gcore` dumps a running
# server for the dump test) and, for the interop tests, Python 3 with authlib, PyJWT, requests and
# cryptography (pip, from Tests/Interop/requirements.txt), and schemathesis for the admin API fuzz
# (pip, from Tests/AdminFuzz/requirements.txt), and for the console's browser tests Chromium and
# its driver (apt-get chromium chromium-driver, without recommends) with Selenium and
# axe-core-python (pip, from Tests/Console/requirements.txt). Everything else the tests need they
# start themselves, on loopback, and stop.
set -euo pipefail
cd "$(dirname "$0")"

apt_install() {
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then sudo apt-get update -qq && sudo apt-get install -y -qq "$@"
    else apt-get update -qq && apt-get install -y -qq "$@"; fi
}

if [ ! -f /usr/include/sqlite3.h ]; then
    echo "test.sh: installing libsqlite3-dev (GRDB links the system SQLite)"
    apt_install libsqlite3-dev
fi
if [ ! -f /usr/lib/softhsm/libsofthsm2.so ] || [ ! -f /usr/include/p11-kit-1/p11-kit/pkcs11.h ]; then
    echo "test.sh: installing softhsm2 and libp11-kit-dev (the PKCS#11 custody tests and pkcs11.h)"
    apt_install softhsm2 libp11-kit-dev
fi
if ! command -v gcore >/dev/null; then
    echo "test.sh: installing gdb (the dump test takes a core of a running server with gcore)"
    apt_install gdb
fi
if ! command -v python3 >/dev/null; then
    echo "test.sh: installing python3 and pip (interop tests)"
    apt_install python3 python3-pip
fi
if ! python3 -c "import authlib, jwt, requests, cryptography" 2>/dev/null; then
    echo "test.sh: installing the interop tests' Python packages"
    PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --disable-pip-version-check -r Tests/Interop/requirements.txt
fi

if ! python3 -c "import schemathesis" 2>/dev/null; then
    echo "test.sh: installing schemathesis (the admin API fuzz)"
    PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --disable-pip-version-check -r Tests/AdminFuzz/requirements.txt
fi

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    echo "test.sh: installing chromium and chromium-driver (the console's browser tests)"
    apt_install --no-install-recommends chromium chromium-driver
fi
if ! python3 -c "import selenium, axe_core_python" 2>/dev/null; then
    echo "test.sh: installing Selenium and axe-core-python (the console's browser tests)"
    PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --disable-pip-version-check -r Tests/Console/requirements.txt
fi

if [ "${1:-}" = "--setup-only" ]; then exit 0; fi
exec swift test "$@"
