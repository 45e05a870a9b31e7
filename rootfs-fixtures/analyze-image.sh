#!/usr/bin/env bash
# analyze-image.sh oci|docker DEST
#
# The image `berth image analyze` is tested on: four layers of files whose sizes are fixed
# here, so the tests can work out dive's numbers by hand. Reproducible (fixed mtimes, sorted
# entries, numeric owners, gzip -n): two builds are byte-identical.
#   oci DEST_DIR | DEST.tar   an OCI image layout (tag berth-fixtures/analyze:1, ref name "1")
#   docker DEST.tar           the same image as a `docker save` archive (uncompressed layers)
#
# Layers (sizes in bytes; content is a repeated text pattern):
#   0 gzip  "ADD": bin/tool 100000, etc/config.txt 1000, etc/deleted.txt 2000,
#           data/dir/a.bin 3000, data/dir/b.bin 4000, opq/old.txt 300, var/empty/ (empty dir)
#   1 plain "RUN apt-get ...": var/cache/apt/archives/x.deb 50000,
#           var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease 20000,
#           etc/config.txt 1500 (rewritten), big/blob.bin 1000000, src/.git/HEAD 23,
#           src/.git/objects/pack/p.pack 30000, usr/bin/make 5000 and usr/bin/gmake (hardlinked:
#           tar stores gmake's 5000 bytes and make as a link), bin/sh -> tool (symlink)
#   2 zstd  "RUN rm ...": whiteouts big/.wh.blob.bin, etc/.wh.deleted.txt, data/.wh.dir;
#           etc/config.txt 1200 (rewritten again), app/new.txt 700, opq/.wh..wh..opq (opaque:
#           hides opq/old.txt) + opq/new.txt 400
#   3 gzip  "RUN pip ... npm ... go ...": root/.cache/pip/http/a/wheel 6000,
#           root/.npm/_cacache/content-v2/x 7000, usr/local/go/bin/go 8000,
#           usr/local/go/pkg/tool/linux_amd64/compile 9000
# History: 7 entries, 3 of them empty_layer (ENV, WORKDIR, CMD). No User (runs as root).
# Needs tar, gzip, zstd, sha256sum; nothing is downloaded.
set -euo pipefail

usage() { echo "usage: $0 oci DEST_DIR|DEST.tar | docker DEST.tar" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
FORMAT=$1
DEST=$2
[[ $FORMAT == oci || ($FORMAT == docker && $DEST == *.tar) ]] || usage
die() { echo "analyze-image: $*" >&2; exit 1; }
for tool in tar gzip zstd sha256sum; do
    command -v $tool >/dev/null || die "$tool not found (scripts/install-deps.sh)"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/berth-analyze-image.XXXXXXXX")
trap 'rm -rf -- "$WORK"' EXIT
trap 'exit 130' INT TERM

# put FILE SIZE: a file of exactly SIZE bytes of a fixed pattern.
put() {
    mkdir -p -- "$(dirname -- "$1")"
    yes "berth analyze fixture $(basename -- "$1")" | head -c "$2" > "$1" || true
    [[ $(stat -c %s "$1") -eq $2 ]] || die "could not write $1"
}

# det_tar DIR OUT: a deterministic tar of DIR's content, owned by root.
det_tar() {
    find "$1" -type d -exec chmod 0755 {} +
    find "$1" -type f -exec chmod 0644 {} +
    find "$1" -depth -print0 | xargs -0 touch -h -d @0
    LC_ALL=C tar --format=gnu --sort=name --mtime=@0 --numeric-owner --owner=0 --group=0 \
        -C "$1" -cf "$2" .
}

L=$WORK/l0
put "$L/bin/tool" 100000
put "$L/etc/config.txt" 1000
put "$L/etc/deleted.txt" 2000
put "$L/data/dir/a.bin" 3000
put "$L/data/dir/b.bin" 4000
put "$L/opq/old.txt" 300
mkdir -p "$L/var/empty"
det_tar "$L" "$WORK/layer0.tar"

L=$WORK/l1
put "$L/var/cache/apt/archives/x.deb" 50000
put "$L/var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease" 20000
put "$L/etc/config.txt" 1500
put "$L/big/blob.bin" 1000000
put "$L/src/.git/HEAD" 23
put "$L/src/.git/objects/pack/p.pack" 30000
put "$L/usr/bin/make" 5000
ln "$L/usr/bin/make" "$L/usr/bin/gmake"
mkdir -p "$L/bin"
ln -s tool "$L/bin/sh"
det_tar "$L" "$WORK/layer1.tar"

L=$WORK/l2
mkdir -p "$L/big" "$L/etc" "$L/data" "$L/opq"
: > "$L/big/.wh.blob.bin"
: > "$L/etc/.wh.deleted.txt"
: > "$L/data/.wh.dir"
: > "$L/opq/.wh..wh..opq"
put "$L/etc/config.txt" 1200
put "$L/app/new.txt" 700
put "$L/opq/new.txt" 400
det_tar "$L" "$WORK/layer2.tar"

L=$WORK/l3
put "$L/root/.cache/pip/http/a/wheel" 6000
put "$L/root/.npm/_cacache/content-v2/x" 7000
put "$L/usr/local/go/bin/go" 8000
put "$L/usr/local/go/pkg/tool/linux_amd64/compile" 9000
det_tar "$L" "$WORK/layer3.tar"

DIFF_IDS=()
for i in 0 1 2 3; do DIFF_IDS+=("\"sha256:$(sha256sum "$WORK/layer$i.tar" | cut -d' ' -f1)\""); done
join() { local IFS=,; echo "$*"; }
H='{"created":"1970-01-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD file:base.tar in / "},'
H+='{"created":"1970-01-01T00:00:00Z","created_by":"/bin/sh -c #(nop)  ENV LANG=C.UTF-8","empty_layer":true},'
H+='{"created":"1970-01-01T00:00:00Z","created_by":"/bin/sh -c apt-get update && apt-get install -y make"},'
H+='{"created":"1970-01-01T00:00:00Z","created_by":"/bin/sh -c #(nop) WORKDIR /app","empty_layer":true},'
H+='{"created":"1970-01-01T00:00:00Z","created_by":"/bin/sh -c rm -rf /big/blob.bin /etc/deleted.txt /data/dir /opq && echo v3 > /etc/config.txt","comment":"cleanup"},'
H+='{"created":"1970-01-01T00:00:00Z","created_by":"/bin/sh -c pip install x && npm install y && go build"},'
H+='{"created":"1970-01-01T00:00:00Z","created_by":"/bin/sh -c #(nop)  CMD [\"/bin/tool\"]","empty_layer":true}'
printf '{"architecture":"amd64","config":{"Cmd":["/bin/tool"],"Env":["LANG=C.UTF-8"],"WorkingDir":"/app"},"created":"1970-01-01T00:00:00Z","history":[%s],"os":"linux","rootfs":{"diff_ids":[%s],"type":"layers"}}' \
    "$H" "$(join "${DIFF_IDS[@]}")" > "$WORK/config.json"
CONFIG_HEX=$(sha256sum "$WORK/config.json" | cut -d' ' -f1)
CONFIG_SIZE=$(stat -c %s "$WORK/config.json")

# pack_tar DIR OUT: the deterministic outer archive.
pack_tar() {
    find "$1" -depth -print0 | xargs -0 touch -h -d @0
    LC_ALL=C tar --format=gnu --sort=name --mtime=@0 --numeric-owner --owner=0 --group=0 \
        -C "$1" -cf "$2.tmp" .
    mkdir -p -- "$(dirname -- "$2")"
    mv -f -- "$2.tmp" "$2"
}

if [[ $FORMAT == docker ]]; then
    OUT=$WORK/docker
    mkdir -p "$OUT"
    LAYERS=()
    for i in 0 1 2 3; do
        hex=$(sha256sum "$WORK/layer$i.tar" | cut -d' ' -f1)
        mkdir -p "$OUT/$hex"
        cp "$WORK/layer$i.tar" "$OUT/$hex/layer.tar"
        LAYERS+=("\"$hex/layer.tar\"")
    done
    cp "$WORK/config.json" "$OUT/$CONFIG_HEX.json"
    printf '[{"Config":"%s.json","RepoTags":["berth-fixtures/analyze:1"],"Layers":[%s]}]' \
        "$CONFIG_HEX" "$(join "${LAYERS[@]}")" > "$OUT/manifest.json"
    pack_tar "$OUT" "$DEST"
    echo "analyze-image: built docker archive $DEST" >&2
    exit 0
fi

OUT=$WORK/layout
mkdir -p "$OUT/blobs/sha256"
add_blob() {  # FILE -> hex; the file moves into the layout
    local hex
    hex=$(sha256sum "$1" | cut -d' ' -f1)
    mv -f -- "$1" "$OUT/blobs/sha256/$hex"
    echo "$hex"
}
DESCS=()
for i in 0 1 2 3; do
    case $i in
        0|3) gzip -n -9 < "$WORK/layer$i.tar" > "$WORK/c$i"; media=application/vnd.oci.image.layer.v1.tar+gzip ;;
        1) cp "$WORK/layer$i.tar" "$WORK/c$i"; media=application/vnd.oci.image.layer.v1.tar ;;
        2) zstd -q -19 -c < "$WORK/layer$i.tar" > "$WORK/c$i"; media=application/vnd.oci.image.layer.v1.tar+zstd ;;
    esac
    size=$(stat -c %s "$WORK/c$i")
    hex=$(add_blob "$WORK/c$i")
    DESCS+=("{\"mediaType\":\"$media\",\"digest\":\"sha256:$hex\",\"size\":$size}")
done
add_blob "$WORK/config.json" >/dev/null
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
    "$CONFIG_HEX" "$CONFIG_SIZE" "$(join "${DESCS[@]}")" > "$WORK/manifest.json"
MANIFEST_SIZE=$(stat -c %s "$WORK/manifest.json")
MANIFEST_HEX=$(add_blob "$WORK/manifest.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"berth-fixtures/analyze:1","org.opencontainers.image.ref.name":"1"}}]}' \
    "$MANIFEST_HEX" "$MANIFEST_SIZE" > "$OUT/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' > "$OUT/oci-layout"
if [[ $DEST == *.tar ]]; then
    pack_tar "$OUT" "$DEST"
else
    [[ ! -e $DEST ]] || die "$DEST exists"
    mkdir -p -- "$(dirname -- "$DEST")"
    mv -T -- "$OUT" "$DEST"
fi
echo "analyze-image: built OCI layout $DEST (manifest sha256:$MANIFEST_HEX)" >&2
