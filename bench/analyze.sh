#!/usr/bin/env bash
# bench/analyze.sh [--keep DIR] [--repeat N]
#
# `berth image analyze` of a generated ~1 GB, 50,000-file image (4 gzip layers of 12,500 files;
# the last one rewrites 1,000 files of the first and deletes 500), against the floor of just
# listing the same layers with `tar -tvzf` (GNU tar + gzip: decompress and parse, nothing else).
# Wall time and peak RSS come from GNU time (/usr/bin/time -v). Measured per run, in turn:
#   berth --layout DIR (2 layers at once, the default), berth --parallel 1, berth --archive
#   (the layout as one tar), and tar -tvzf of the four layer blobs one after the other.
# The image is built once (about a minute) under DIR (default: a temp dir, removed at the end).
set -euo pipefail
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
BERTH=${BERTH:-$HERE/../build/bin/berth}
KEEP=
REPEAT=3
while [[ $# -gt 0 ]]; do
    case $1 in
        --keep) KEEP=$2; shift 2 ;;
        --repeat) REPEAT=$2; shift 2 ;;
        *) echo "usage: $0 [--keep DIR] [--repeat N]" >&2; exit 2 ;;
    esac
done
[[ -x $BERTH ]] || { echo "build berth first ($BERTH)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "GNU time missing (apt-get install time)" >&2; exit 1; }

if [[ -n $KEEP ]]; then WORK=$KEEP; mkdir -p "$WORK"; else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/berth-bench-analyze.XXXXXX")
    trap 'rm -rf -- "$WORK"' EXIT
fi
LAYOUT=$WORK/layout

build_image() {
    local pool=$WORK/pool src hex size
    rm -rf -- "$WORK/gen" "$LAYOUT" "$pool"
    mkdir -p "$pool" "$LAYOUT/blobs/sha256"
    # 100 distinct files, 4-36 KiB (20 KiB on average): base64 of random bytes, which gzip
    # shrinks to ~76%, as real binaries and text roughly do.
    for i in $(seq -w 0 99); do
        head -c $(((4 + (10#$i * 37) % 33) * 768)) /dev/urandom | base64 -w 76 > "$pool/f$i"
    done
    local descs=() diffs=() k d
    for k in 0 1 2 3; do
        src=$WORK/gen/l$k
        mkdir -p "$src"
        # 125 directories of the 100 pool files, as hardlinks (tar stores each as a file).
        for d in $(seq -w 0 124); do cp -al "$pool" "$src/d$k$d"; done
        if [[ $k == 3 ]]; then
            # Rewrite 1,000 files of layer 0 and delete 500 more: wasted bytes to find.
            for d in $(seq -w 000 009); do cp -al "$pool" "$src/d0$d"; done
            for d in $(seq -w 010 014); do
                mkdir -p "$src/d0$d"
                for i in $(seq -w 0 99); do : > "$src/d0$d/.wh.f$i"; done
            done
        fi
        LC_ALL=C tar --format=gnu --hard-dereference --sort=name --numeric-owner --owner=0 \
            --group=0 --mtime=@0 -C "$src" -cf "$WORK/l$k.tar" .
        diffs+=("\"sha256:$(sha256sum "$WORK/l$k.tar" | cut -d' ' -f1)\"")
        gzip -n -1 < "$WORK/l$k.tar" > "$WORK/l$k.tgz"
        rm -f "$WORK/l$k.tar"
        rm -rf -- "$src"
        hex=$(sha256sum "$WORK/l$k.tgz" | cut -d' ' -f1)
        size=$(stat -c %s "$WORK/l$k.tgz")
        mv "$WORK/l$k.tgz" "$LAYOUT/blobs/sha256/$hex"
        descs+=("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$hex\",\"size\":$size}")
        echo "layer $k: $size bytes compressed" >&2
    done
    local IFS=,
    printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[%s]},"history":[{"created_by":"l0"},{"created_by":"l1"},{"created_by":"l2"},{"created_by":"l3"}]}' \
        "${diffs[*]}" > "$WORK/config"
    local chex csize mhex msize
    chex=$(sha256sum "$WORK/config" | cut -d' ' -f1); csize=$(stat -c %s "$WORK/config")
    mv "$WORK/config" "$LAYOUT/blobs/sha256/$chex"
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
        "$chex" "$csize" "${descs[*]}" > "$WORK/manifest"
    mhex=$(sha256sum "$WORK/manifest" | cut -d' ' -f1); msize=$(stat -c %s "$WORK/manifest")
    mv "$WORK/manifest" "$LAYOUT/blobs/sha256/$mhex"
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s}]}' \
        "$mhex" "$msize" > "$LAYOUT/index.json"
    printf '{"imageLayoutVersion":"1.0.0"}' > "$LAYOUT/oci-layout"
    tar -C "$LAYOUT" -cf "$WORK/layout.tar" .
    rm -rf -- "$pool" "$WORK/gen"
}

[[ -f $LAYOUT/index.json && -f $WORK/layout.tar ]] || build_image
# The four layer blobs are the four biggest files (order does not matter for the floor).
LAYERS=$(ls -S "$LAYOUT"/blobs/sha256/* | head -4)

# measure NAME CMD...: one run; prints "NAME wall_s peak_rss_kib".
measure() {
    local name=$1 out=$WORK/time.out
    shift
    sync
    /usr/bin/time -v -o "$out" "$@" > "$WORK/stdout" 2>"$WORK/stderr" || {
        echo "$name failed:" >&2; cat "$WORK/stderr" >&2; exit 1; }
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$out")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out")
    echo "$name $wall $rss"
}

echo "image: $(du -sb "$LAYOUT" | cut -f1) bytes on disk; analysis says:" >&2
"$BERTH" image analyze --layout "$LAYOUT" | head -4 >&2
RESULTS=$WORK/results
: > "$RESULTS"
for _ in $(seq "$REPEAT"); do
    measure berth_layout "$BERTH" image analyze --layout "$LAYOUT" -o json >> "$RESULTS"
    measure berth_parallel1 "$BERTH" image analyze --layout "$LAYOUT" -o json --parallel 1 >> "$RESULTS"
    measure berth_archive "$BERTH" image analyze --archive "$WORK/layout.tar" -o json >> "$RESULTS"
    # shellcheck disable=SC2086
    measure tar_tvzf bash -c 'for l in "$@"; do tar -tvzf "$l" > /dev/null; done' _ $LAYERS >> "$RESULTS"
done
echo
printf '%-18s %12s %14s\n' what "median wall s" "max peak RSS"
for name in berth_layout berth_parallel1 berth_archive tar_tvzf; do
    wall=$(awk -v n=$name '$1==n {print $2}' "$RESULTS" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    rss=$(awk -v n=$name '$1==n {print $3}' "$RESULTS" | sort -n | tail -1)
    printf '%-18s %12s %11s KiB\n' "$name" "$wall" "$rss"
done
