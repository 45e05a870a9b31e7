#!/usr/bin/env bash
# build-fixtures.sh DIR: the OCI fixtures images_test reads (busybox/, multilayer/,
# multilayer.tar), built once per ctest run (FIXTURES_SETUP) instead of once per test process.
set -euo pipefail
[[ $# -eq 1 && -n $1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
SCRIPT=$HERE/../../rootfs-fixtures/oci-image.sh
rm -rf -- "$1.tmp"
mkdir -p -- "$1.tmp"
bash "$SCRIPT" busybox "$1.tmp/busybox"
bash "$SCRIPT" multilayer "$1.tmp/multilayer"
bash "$SCRIPT" multilayer "$1.tmp/multilayer.tar"
rm -rf -- "$1"
mv -T -- "$1.tmp" "$1"
