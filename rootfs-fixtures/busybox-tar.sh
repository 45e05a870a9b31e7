#!/usr/bin/env bash
# busybox-tar.sh DEST_TAR
#
# Builds the busybox fixture rootfs (busybox-rootfs.sh) in a private temp dir
# and writes it as a deterministic, uncompressed tar to DEST_TAR, suitable for
# `podman import DEST_TAR NAME`. Same inputs -> byte-identical tar.
# Nothing is downloaded.
set -euo pipefail

[[ $# -eq 1 && -n "$1" ]] || { echo "usage: $0 DEST_TAR" >&2; exit 2; }
DEST=$1
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/berth-busybox-tar.XXXXXXXX")
OUT_TMP=
cleanup() {
    rm -rf -- "$WORK"
    [[ -n $OUT_TMP ]] && rm -f -- "$OUT_TMP"
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$HERE/busybox-rootfs.sh" "$WORK/rootfs"

mkdir -p -- "$(dirname -- "$DEST")"
OUT_TMP=$(mktemp "$(dirname -- "$DEST")/.busybox-tar.XXXXXXXX")
# GNU tar; PAX headers would carry atime/ctime, so force the plain GNU format.
# Ownership: everything is root (0:0) except /home/user, which the rootfs script
# made 1000:1000. Instead of --owner=0 --group=0 (which would flatten
# /home/user to 0:0 too) the builder's own uid/gid is mapped to 0, so the result
# is the same whoever runs it.
printf '+%s +0\n' "$(id -u)" > "$WORK/owner.map"
printf '+%s +0\n' "$(id -g)" > "$WORK/group.map"
LC_ALL=C tar --format=gnu --sort=name --mtime=@0 --numeric-owner \
    --owner-map="$WORK/owner.map" --group-map="$WORK/group.map" \
    -C "$WORK/rootfs" -cf "$OUT_TMP" .
chmod 0644 "$OUT_TMP"
mv -f -- "$OUT_TMP" "$DEST"
OUT_TMP=
echo "busybox-tar: wrote $DEST ($(stat -c %s "$DEST") bytes)" >&2
