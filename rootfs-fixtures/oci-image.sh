#!/usr/bin/env bash
# oci-image.sh busybox|multilayer DEST
#
# Builds a reproducible OCI image layout (oci-layout, index.json, blobs/sha256/...) from
# Debian's busybox-static; DEST ending in .tar gets the layout as a deterministic tar instead
# of a directory. Fixed mtimes, sorted entries, numeric owners and `gzip -n` make the digests
# stable: two builds from the same busybox (and gzip/zstd versions) are byte-identical.
#
#   busybox     one gzip layer: the busybox-tar.sh rootfs. Tag berth-fixtures/busybox:1.
#   multilayer  three layers, each compressed differently, tag berth-fixtures/multilayer:1:
#     0 (gzip)  the busybox rootfs
#     1 (plain) data/keep.txt, data/changed.txt (v1), data/deleted.txt, data/hard.txt (a
#               hardlink to keep.txt), data/link -> keep.txt, data/owned.txt (1000:1000,
#               0640), opq/lower.txt, opq/sub/lower2.txt, etc/motd
#     2 (zstd)  data/changed.txt (v2), data/.wh.deleted.txt, bin/.wh.vi (deletes a layer-0
#               file), opq/.wh..wh..opq + opq/upper.txt (the opaque dir hides layer 1's
#               content), new/added.txt
# Needs root (file ownership), tar, gzip, zstd, sha256sum; nothing is downloaded.
set -euo pipefail

usage() { echo "usage: $0 busybox|multilayer DEST_DIR|DEST.tar" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
KIND=$1
DEST=$2
[[ $KIND == busybox || $KIND == multilayer ]] || usage
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
die() { echo "oci-image: $*" >&2; exit 1; }
for tool in tar gzip zstd sha256sum; do
    command -v $tool >/dev/null || die "$tool not found (scripts/install-deps.sh)"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/berth-oci-image.XXXXXXXX")
trap 'rm -rf -- "$WORK"' EXIT
trap 'exit 130' INT TERM
OUT=$WORK/layout
mkdir -p "$OUT/blobs/sha256"

# add_blob FILE -> prints the hex digest; the file moves into the layout.
add_blob() {
    local hex
    hex=$(sha256sum "$1" | cut -d' ' -f1)
    mv -f -- "$1" "$OUT/blobs/sha256/$hex"
    echo "$hex"
}

# det_tar DIR OUT: a deterministic tar of DIR's content (builder's uid/gid mapped to 0).
det_tar() {
    printf '+%s +0\n' "$(id -u)" > "$WORK/owner.map"
    printf '+%s +0\n' "$(id -g)" > "$WORK/group.map"
    find "$1" -depth -print0 | xargs -0 touch -h -d @0
    LC_ALL=C tar --format=gnu --sort=name --mtime=@0 --numeric-owner \
        --owner-map="$WORK/owner.map" --group-map="$WORK/group.map" -C "$1" -cf "$2" .
}

LAYER_DESCS=()
DIFF_IDS=()
# add_layer TAR gzip|zstd|none
add_layer() {
    local tar=$1 comp=$2 diff media hex size
    diff=$(sha256sum "$tar" | cut -d' ' -f1)
    case $comp in
        gzip) gzip -n -9 < "$tar" > "$tar.c"; media=application/vnd.oci.image.layer.v1.tar+gzip ;;
        zstd) zstd -q -19 -c < "$tar" > "$tar.c"; media=application/vnd.oci.image.layer.v1.tar+zstd ;;
        none) cp "$tar" "$tar.c"; media=application/vnd.oci.image.layer.v1.tar ;;
    esac
    size=$(stat -c %s "$tar.c")
    hex=$(add_blob "$tar.c")
    LAYER_DESCS+=("{\"mediaType\":\"$media\",\"digest\":\"sha256:$hex\",\"size\":$size}")
    DIFF_IDS+=("\"sha256:$diff\"")
}

"$HERE/busybox-tar.sh" "$WORK/layer0.tar" 2>/dev/null
add_layer "$WORK/layer0.tar" gzip

if [[ $KIND == multilayer ]]; then
    L1=$WORK/l1
    mkdir -p "$L1/data" "$L1/opq/sub" "$L1/etc"
    echo keep > "$L1/data/keep.txt"
    echo v1 > "$L1/data/changed.txt"
    echo "deleted in layer 2" > "$L1/data/deleted.txt"
    ln "$L1/data/keep.txt" "$L1/data/hard.txt"
    ln -s keep.txt "$L1/data/link"
    echo owned > "$L1/data/owned.txt"
    chown 1000:1000 "$L1/data/owned.txt"
    chmod 0640 "$L1/data/owned.txt"
    echo lower > "$L1/opq/lower.txt"
    echo lower2 > "$L1/opq/sub/lower2.txt"
    echo "layer 1" > "$L1/etc/motd"
    chmod 0644 "$L1"/data/*.txt "$L1/opq/lower.txt" "$L1/opq/sub/lower2.txt" "$L1/etc/motd"
    chmod 0640 "$L1/data/owned.txt"
    chmod 0755 "$L1" "$L1/data" "$L1/opq" "$L1/opq/sub" "$L1/etc"
    det_tar "$L1" "$WORK/layer1.tar"
    add_layer "$WORK/layer1.tar" none

    L2=$WORK/l2
    mkdir -p "$L2/data" "$L2/opq" "$L2/bin" "$L2/new"
    echo v2 > "$L2/data/changed.txt"
    : > "$L2/data/.wh.deleted.txt"
    : > "$L2/bin/.wh.vi"
    : > "$L2/opq/.wh..wh..opq"
    echo upper > "$L2/opq/upper.txt"
    echo added > "$L2/new/added.txt"
    find "$L2" -type f -exec chmod 0644 {} +
    find "$L2" -type d -exec chmod 0755 {} +
    det_tar "$L2" "$WORK/layer2.tar"
    add_layer "$WORK/layer2.tar" zstd
fi

join() { local IFS=,; echo "$*"; }
printf '{"architecture":"amd64","config":{"Cmd":["/bin/sh"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},"created":"1970-01-01T00:00:00Z","os":"linux","rootfs":{"diff_ids":[%s],"type":"layers"}}' \
    "$(join "${DIFF_IDS[@]}")" > "$WORK/config.json"
CONFIG_SIZE=$(stat -c %s "$WORK/config.json")
CONFIG_HEX=$(add_blob "$WORK/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
    "$CONFIG_HEX" "$CONFIG_SIZE" "$(join "${LAYER_DESCS[@]}")" > "$WORK/manifest.json"
MANIFEST_SIZE=$(stat -c %s "$WORK/manifest.json")
MANIFEST_HEX=$(add_blob "$WORK/manifest.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"berth-fixtures/%s:1","org.opencontainers.image.ref.name":"1"}}]}' \
    "$MANIFEST_HEX" "$MANIFEST_SIZE" "$KIND" > "$OUT/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' > "$OUT/oci-layout"

mkdir -p -- "$(dirname -- "$DEST")"
if [[ $DEST == *.tar ]]; then
    find "$OUT" -depth -print0 | xargs -0 touch -h -d @0
    LC_ALL=C tar --format=gnu --sort=name --mtime=@0 --numeric-owner --owner=0 --group=0 \
        -C "$OUT" -cf "$DEST.tmp" .
    mv -f -- "$DEST.tmp" "$DEST"
else
    [[ ! -e $DEST ]] || die "$DEST exists"
    mv -T -- "$OUT" "$DEST"
fi
echo "oci-image: built $KIND at $DEST (manifest sha256:$MANIFEST_HEX)" >&2
