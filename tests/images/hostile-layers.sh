#!/usr/bin/env bash
# hostile-layers.sh OUT TARGET
#
# Writes the hostile-layer corpus into OUT: for every case a layer tar (CASE.layer.tar or
# .tar.gz), a one-layer `docker save` archive holding it (CASE.image.tar, tagged hostile/CASE:1,
# ready for `berth image load -i`), and one line in OUT/cases:
#
#   CASE|reject or accept|load flags|what the error must say (reject) or - (accept)
#
# TARGET is the absolute directory the attacks aim at (a canary tree the test hashes before
# and after): absolute names point into it, relative ones climb to it with enough "../" to
# reach / from any depth and come down again.
#
# Only GNU tar and gzip, as root (mknod, chown): members are named in the order each attack
# needs (--no-recursion), renamed with --transform where the name cannot exist on disk ("."
# as a symlink, a hardlink target outside the layer), with -P so tar keeps "/" and "../".
# Owners 0:0, mtimes 0 and gzip -n make the files identical for the same TARGET and tar.
set -euo pipefail
[[ $# -eq 2 && $2 == /* ]] || { echo "usage: $0 OUT ABSOLUTE-TARGET-DIR" >&2; exit 2; }
OUT=$1
TARGET=${2%/}
[[ $(id -u) == 0 ]] || { echo "hostile-layers.sh: run as root (mknod, owners)" >&2; exit 1; }
UP=$(printf '../%.0s' {1..24})   # more "../" than any layer dir is deep
UP=${UP%/}                       # "../..": then "$UP$TARGET" climbs to / and down to TARGET

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
: > "$OUT/cases"
SRC=$(mktemp -d "$OUT/.src.XXXXXX")
trap 'rm -rf -- "$SRC"' EXIT

# new_case: an empty source directory to build the next case's members in.
new_case() { rm -rf -- "$SRC"; mkdir -m 0755 "$SRC"; }

# layer CASE [tar options...] -- MEMBERS...: OUT/CASE.layer.tar from $SRC, members in order.
layer() {
    local name=$1
    shift
    tar --format=gnu -P --no-recursion --mtime=@0 --owner=0 --group=0 --numeric-owner \
        -C "$SRC" -cf "$OUT/$name.layer.tar" "$@"
}

# image CASE LAYERFILE: a docker save archive of one layer (DiffID = sha256 of the plain tar).
image() {
    local name=$1 file=$2 dir diff
    if [[ $file == *.gz ]]; then diff=$(gzip -dc "$OUT/$file" | sha256sum); else diff=$(sha256sum < "$OUT/$file"); fi
    dir=$(mktemp -d "$OUT/.img.XXXXXX")
    cp "$OUT/$file" "$dir/layer.tar"
    printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
        "${diff%% *}" > "$dir/config.json"
    printf '[{"Config":"config.json","RepoTags":["hostile/%s:1"],"Layers":["layer.tar"]}]' \
        "$name" > "$dir/manifest.json"
    tar --format=gnu --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$dir" \
        -cf "$OUT/$name.image.tar" manifest.json config.json layer.tar
    rm -rf -- "$dir"
}

# want CASE reject|accept FLAGS MESSAGE: records the expectation and builds the image.
want() {
    local file=$1.layer.tar
    [[ -f $OUT/$file ]] || file=$1.layer.tar.gz
    image "$1" "$file"
    printf '%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" >> "$OUT/cases"
}

# A file whose name climbs out of the layer.
new_case; echo pwned > "$SRC/f"
layer dotdot --transform="s,^f\$,$UP$TARGET/pwned-dotdot," -- f
want dotdot reject "" "entry $UP$TARGET/pwned-dotdot: \"..\" in the path escapes the layer"

# A host path.
new_case; echo pwned > "$SRC/f"
layer absolute --transform="s,^f\$,$TARGET/pwned-absolute," -- f
want absolute reject "" "entry $TARGET/pwned-absolute: absolute name"

# A symlink to the host, then a file through it.
new_case; ln -s "$TARGET" "$SRC/evil"; echo pwned > "$SRC/f"
layer symlink-then-file --transform="s,^f\$,evil/pwned-symlink," -- evil f
want symlink-then-file reject "" "entry evil/pwned-symlink: parent evil is a symlink"

# umoci CVE-2021-29136: a symlink named "." replaces the layer root, later entries follow it.
new_case; ln -s "$TARGET" "$SRC/link"; echo pwned > "$SRC/pwned-dot"
layer symlink-dot --transform='s,^link$,.,' -- link pwned-dot
want symlink-dot reject "" "entry .: the layer root must be a dir"

# The same with a symlink named "/".
new_case; ln -s "$TARGET" "$SRC/link"; echo pwned > "$SRC/pwned-slash"
layer symlink-slash --transform='s,^link$,/,' -- link pwned-slash
want symlink-slash reject "" "entry /: absolute name"

# A chain of symlinks whose last hop leaves the layer, then a file through its first link.
new_case; ln -s l2 "$SRC/l1"; ln -s l3 "$SRC/l2"; ln -s "$UP$TARGET" "$SRC/l3"; echo pwned > "$SRC/f"
layer symlink-chain --transform='s,^f$,l1/pwned-chain,' -- l3 l2 l1 f
want symlink-chain reject "" "entry l1/pwned-chain: parent l1 is a symlink"

# Hardlinks to host files: by absolute path, by "../", and through a symlink in the layer.
# (The target names are rewritten on hardlink targets only: flags R and S.)
new_case; echo inside > "$SRC/a"; ln "$SRC/a" "$SRC/hl"
layer hardlink-absolute --transform="s,^a\$,$TARGET/secret,RS" -- a hl
want hardlink-absolute reject "" "entry hl: hardlink target $TARGET/secret: absolute name"
layer hardlink-dotdot --transform="s,^a\$,$UP$TARGET/secret,RS" -- a hl
want hardlink-dotdot reject "" "entry hl: hardlink target $UP$TARGET/secret: \"..\" in the path escapes the layer"
ln -s "$TARGET" "$SRC/s"
layer hardlink-via-symlink --transform='s,^a$,s/secret,RS' -- s a hl
want hardlink-via-symlink reject "" "entry hl: hardlink target s/secret: parent s is a symlink"

# Whiteouts of ".." and a bare ".wh." (image-spec: invalid).
new_case; mkdir "$SRC/sub"; : > "$SRC/w"
layer whiteout-dotdot --transform='s,^w$,sub/.wh...,' -- sub w
want whiteout-dotdot reject "" "entry sub/.wh...: whiteout of \"..\" is invalid"
layer whiteout-bare --transform='s,^w$,.wh.,' -- w
want whiteout-bare reject "" "entry .wh.: whiteout of \"\" is invalid"

# Device nodes belong in /dev only: the host's disk (block 8:0) and /dev/mem (char 1:1) under
# innocent names elsewhere.
new_case; mkdir "$SRC/etc"; mknod -m 0600 "$SRC/etc/disk" b 8 0
layer device-block -- etc etc/disk
want device-block reject "" "entry etc/disk: device node outside /dev refused"
new_case; mkdir "$SRC/usr"; mknod -m 0600 "$SRC/usr/mem" c 1 1
layer device-char -- usr usr/mem
want device-char reject "" "entry usr/mem: device node outside /dev refused"

# An entry whose parent is a regular file.
new_case; echo file > "$SRC/f"; echo child > "$SRC/c"
layer parent-is-file --transform='s,^c$,f/child,' -- f c
want parent-is-file reject "" "entry f/child: parent f is not a directory"

# Decompression bombs: 64 MiB of zeros in a ~64 KiB gzip layer against an 8 MiB limit, and a
# sparse 1 TiB file (a few KiB of tar) against the default 64 GiB one.
new_case; head -c $((64 << 20)) /dev/zero > "$SRC/zeros"
layer bomb-gzip -- zeros
gzip -n -9 -f "$OUT/bomb-gzip.layer.tar"
want bomb-gzip reject "--max-layer-size 8M" "entry zeros: size 67108864 exceeds the layer limit of 8388608 bytes"
# And 16 files of 1 MiB that each look harmless: the stream, not a header, crosses the limit.
new_case; for i in $(seq -w 0 15); do head -c $((1 << 20)) /dev/zero > "$SRC/z$i"; done
layer bomb-many -- z00 z01 z02 z03 z04 z05 z06 z07 z08 z09 z10 z11 z12 z13 z14 z15
gzip -n -9 -f "$OUT/bomb-many.layer.tar"
want bomb-many reject "--max-layer-size 8M" "more than 8388608 decompressed bytes (decompression bomb?)"
new_case; truncate -s 1T "$SRC/sparse"
layer bomb-sparse --sparse -- sparse
want bomb-sparse reject "" "entry sparse: size 1099511627776 exceeds the layer limit of 68719476736 bytes"

# Accepted, and neutralised: setuid/setgid files keep their mode (images need su and ping; the
# store's 0700 root keeps host users away from them), and a file replacing an earlier symlink
# to a host file replaces the link, never writes through it.
new_case; mkdir "$SRC/bin"; echo '#!/bin/sh' > "$SRC/bin/su"; chmod 6755 "$SRC/bin/su"
layer setuid -- bin bin/su
want setuid accept "" -
new_case; ln -s "$TARGET/secret" "$SRC/x"; echo replaced > "$SRC/y"
layer replace-symlink --transform='s,^y$,x,' -- x y
want replace-symlink accept "" -
