#!/usr/bin/env bash
# build-fixtures.sh DIR: the analyze fixture in its three forms (layout/, layout.tar,
# docker.tar), built once per ctest run (FIXTURES_SETUP) instead of once per test process,
# and the image tests' fixtures in oci/ (the registry fixture pushes them).
set -euo pipefail
[[ $# -eq 1 && -n $1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
SCRIPT=$HERE/../../rootfs-fixtures/analyze-image.sh
rm -rf -- "$1.tmp"
mkdir -p -- "$1.tmp"
bash "$SCRIPT" oci "$1.tmp/layout"
bash "$SCRIPT" oci "$1.tmp/layout.tar"
bash "$SCRIPT" docker "$1.tmp/docker.tar"
bash "$HERE/../images/build-fixtures.sh" "$1.tmp/oci"
rm -rf -- "$1"
mv -T -- "$1.tmp" "$1"
