#!/usr/bin/env bash
# unpack_ab.sh OLD_BERTH NEW_BERTH LAYOUT LAYER_TAR_GZ [ROUNDS]
#
# Before/after check of an unpack change: `berth image load --input LAYOUT` with two berth
# binaries and `tar -xzf LAYER_TAR_GZ` (the same layer), interleaved, the order flipped every
# round, each run into a fresh directory under ${TMPDIR:-/var/tmp} with `sync` before it
# (untimed). Prints "name wall_s user_s sys_s" per run (bash's `time`, children included).
# LAYOUT and LAYER_TAR_GZ are what `bench/unpack.sh --keep DIR` leaves in DIR (layout/,
# layer.tar.gz). Run as root; the run directories are removed at the end.
set -euo pipefail
[[ $# -ge 4 ]] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
OLD=$1 NEW=$2 LAYOUT=$3 LAYER=$4 ROUNDS=${5:-3}
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/berth-unpack-ab.XXXXXX")
trap 'rm -rf -- "$WORK"' EXIT
n=0
one() {
    local name=$1 d
    shift
    n=$((n + 1))
    d=$WORK/$name.$n
    mkdir -p "$d"
    sync
    TIMEFORMAT="$name %R %U %S"
    time "$@" "$d" >/dev/null
}
old() { "$OLD" --root "$1" image load --input "$LAYOUT"; }
new() { "$NEW" --root "$1" image load --input "$LAYOUT"; }
tarx() { tar -xzf "$LAYER" -C "$1"; }
for r in $(seq "$ROUNDS"); do
    if ((r % 2)); then one old old; one new new; one tar tarx; else one tar tarx; one new new; one old old; fi
done 2>&1
