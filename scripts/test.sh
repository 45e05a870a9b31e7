#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine, as root: install, build, run every test
# (unit, end-to-end runtime tests, podman driving berth-runtime). Nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "the test suite runs containers: run it as root" >&2; exit 1; }
bash scripts/install-deps.sh
bash scripts/build.sh
cd build
ctest --output-on-failure --timeout 300 -j2 "$@"
