#!/usr/bin/env bash
# unpack.sh [--runs N] [--markdown FILE] [--files N] [--seed S] [--keep DIR]
#
# Unpack benchmark of berth against the usual peers, on ONE large gzip layer:
#
#   A. local unpack: `berth --root FRESH image load --input LAYOUT` (a one-layer OCI layout)
#      vs `tar -xzf layer.tar.gz -C FRESH` (GNU tar). berth does more than tar: it copies
#      the blob into its store, checks the blob's sha256 and the DiffID (sha256 of the
#      uncompressed tar) and applies its safe-unpack rules (no escapes, whiteouts).
#   B. pull + unpack from a local docker-registry (rootfs-fixtures/registry.sh), the layout
#      pushed as bench/big:1 with `skopeo copy --preserve-digests`:
#      `berth --root FRESH pull --insecure -q 127.0.0.1:PORT/bench/big:1`
#      vs `skopeo copy --src-tls-verify=false docker://... oci:FRESH/oci:1` followed by
#      `umoci unpack --image FRESH/oci:1 FRESH/bundle` (umoci also writes an mtree of the
#      rootfs, which hashes every file: that is part of its pipeline).
#
# The layer is generated, deterministic for a given --seed/--files: ~1,200 directories,
# N regular files (default 27,000, log-normal sizes, word-salad text with 17% random
# bytes: 638 MB of tar, 366 MB gzip, 29,578 entries), plus symlinks and hardlinks; tar
# --sort=name, --mtime=@0, numeric owner 0:0, `gzip -n` (level 6). Same entry count and tar
# size class as the layer in /work/shared/reference/bench.md (212 MB gzip, 573 MB tar, 27,422
# entries), but less compressible, so its gzip stream is larger.
#
# Protocol (see the pitfalls in docs/benchmarks.md and the reference): every run extracts into
# a FRESH directory on the same filesystem; nothing is deleted until all runs are over (the
# unjournaled ext4 here is slow to reuse freed inodes, which would slow the runs after a
# delete); `sync` runs before every timed run, outside the timing; tools alternate within
# each round, with the order flipped every round; the table reports medians of N runs (default
# 3) and the ratio of the medians. Wall time from bash's $EPOCHREALTIME around the command.
#
# --keep DIR: move the generated layer.tar.gz and one-layer OCI layout/ into DIR at the end
# (for bench/unpack_ab.sh before/after comparisons).
#
# Needs root (tar/umoci restore owners), python3, GNU tar, gzip, skopeo, umoci,
# docker-registry (for B), and a built berth: BERTH=path (default: <repo>/build/bin/berth).
# Disk: ~10 GB under ${TMPDIR:-/var/tmp} for the default sizes, all removed at exit (with
# the registry stopped by its PID); the removal of ~0.4 M files at the end will slow file
# creation on this filesystem for a few minutes afterwards.
set -euo pipefail
export LC_ALL=C   # EPOCHREALTIME with '.' as the decimal point

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "$HERE/.." && pwd)
BERTH=${BERTH:-$REPO/build/bin/berth}
RUNS=3
MARKDOWN=
NFILES=27000
SEED=1
KEEP=
CMDLINE="bench/unpack.sh $*"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-2}"; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --runs) RUNS=$2; shift 2 ;;
        --markdown) MARKDOWN=$2; shift 2 ;;
        --files) NFILES=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --keep) KEEP=$(realpath -m -- "$2"); shift 2 ;;
        -h|--help) usage 0 ;;
        *) usage ;;
    esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || usage
[[ -n $MARKDOWN ]] && MARKDOWN=$(realpath -m -- "$MARKDOWN")
die() { echo "unpack.sh: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "run as root (tar and umoci restore file owners)"
[[ -x $BERTH ]] || die "berth not found at $BERTH (build it, or set BERTH=)"
for tool in python3 tar gzip skopeo umoci sha256sum /usr/bin/docker-registry; do
    command -v "$tool" >/dev/null || die "$tool not found"
done

WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/berth-bench-unpack.XXXXXXXX")
REG=$WORK/registry
cleanup() {
    local rc=$?
    if [[ -f $REG/registry.pid ]]; then
        bash "$REPO/rootfs-fixtures/registry.sh" stop "$REG" || true
    fi
    if [[ -n $KEEP && -d $WORK/layout ]]; then
        mkdir -p "$KEEP" && mv -- "$WORK/layer.tar.gz" "$WORK/layout" "$KEEP/" || true
    fi
    rm -rf -- "$WORK"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# ---------------------------------------------------------------- the layer and the layout
log "generating $NFILES files (seed $SEED) in $WORK/src"
python3 - "$WORK/src" "$NFILES" "$SEED" <<'EOF'
import os, random, sys
root, nfiles, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz_") for _ in range(rng.randint(2, 12)))
         for _ in range(4000)]
# An 8 MiB pool of text-like bytes; files take slices at random offsets (gzip's 32 KiB window
# never sees the repetition across files).
pool = bytearray()
while len(pool) < 8 << 20:
    line = b" ".join(rng.choice(words) for _ in range(rng.randint(3, 14)))
    pool += line + b"\n"
pool = bytes(pool)
ndirs = max(1, nfiles // 22)
dirs = ["."]
for i in range(ndirs):
    parent = dirs[rng.randrange(len(dirs))] if len(dirs) > 1 and rng.random() < 0.7 else "."
    d = os.path.join(parent, "d%04d" % i)
    dirs.append(d)
    os.makedirs(os.path.join(root, d), exist_ok=True)
files = []
for i in range(nfiles):
    d = dirs[rng.randrange(len(dirs))]
    size = min(int(rng.lognormvariate(8.9, 1.5)), 24 << 20)
    rnd = int(size * 0.17)          # incompressible share
    off = rng.randrange(len(pool) - (size - rnd) - 1) if size - rnd < len(pool) - 1 else 0
    data = pool[off:off + size - rnd] + rng.randbytes(rnd)
    p = os.path.join(root, d, "f%05d%s" % (i, rng.choice([".so", ".txt", ".py", ".h", ""])))
    with open(p, "wb") as f:
        f.write(data)
    os.chmod(p, rng.choice([0o644, 0o644, 0o644, 0o755]))
    files.append(p)
for i in range(nfiles // 40):       # symlinks and hardlinks
    t = files[rng.randrange(len(files))]
    d = os.path.join(root, dirs[rng.randrange(len(dirs))])
    os.symlink(os.path.relpath(t, d), os.path.join(d, "s%05d" % i))
    os.link(t, os.path.join(d, "h%05d" % i))
EOF
find "$WORK/src" -depth -print0 | xargs -0 touch -h -d @0
log "tar + gzip -n (level 6)"
tar --format=gnu --sort=name --mtime=@0 --numeric-owner --owner=0 --group=0 \
    -C "$WORK/src" -cf "$WORK/layer.tar" .
gzip -n -6 -c "$WORK/layer.tar" > "$WORK/layer.tar.gz"
TAR_BYTES=$(stat -c %s "$WORK/layer.tar")
GZ_BYTES=$(stat -c %s "$WORK/layer.tar.gz")
ENTRIES=$(tar -tf "$WORK/layer.tar" | wc -l)
rm -f -- "$WORK/layer.tar"

log "OCI layout"
LAYOUT=$WORK/layout
python3 - "$WORK/layer.tar.gz" "$LAYOUT" <<'EOF'
import gzip, hashlib, json, os, shutil, sys
layer, out = sys.argv[1], sys.argv[2]
os.makedirs(os.path.join(out, "blobs", "sha256"))
def put(data):
    hexd = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", hexd), "wb") as f:
        f.write(data)
    return "sha256:" + hexd, len(data)
blob, diff = hashlib.sha256(), hashlib.sha256()
with open(layer, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        blob.update(chunk)
with gzip.open(layer, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        diff.update(chunk)
shutil.copyfile(layer, os.path.join(out, "blobs", "sha256", blob.hexdigest()))
enc = lambda o: json.dumps(o, separators=(",", ":"), sort_keys=True).encode()
config = put(enc({"architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z",
                  "config": {"Cmd": ["/bin/sh"]},
                  "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff.hexdigest()]}}))
manifest = put(enc({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": config[0], "size": config[1]},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": "sha256:" + blob.hexdigest(), "size": os.path.getsize(layer)}]}))
with open(os.path.join(out, "index.json"), "wb") as f:
    f.write(enc({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": manifest[0], "size": manifest[1],
                       "annotations": {"org.opencontainers.image.ref.name": "1"}}]}))
with open(os.path.join(out, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
EOF

# ---------------------------------------------------------------- the registry
log "registry + push"
PORT=$(bash "$REPO/rootfs-fixtures/registry.sh" start "$REG" | tail -1)
[[ $PORT =~ ^[0-9]+$ ]] || die "registry did not start"
skopeo copy -q --preserve-digests --dest-tls-verify=false \
    "oci:$LAYOUT:1" "docker://127.0.0.1:$PORT/bench/big:1"
REF=127.0.0.1:$PORT/bench/big:1

# ---------------------------------------------------------------- the runs
N=0
fresh() { N=$((N + 1)); D=$WORK/runs/$N; mkdir -p "$D"; }   # sets D (no subshell: N counts)
# timed NAME CMD...: sync (untimed), then the wall time of CMD appended to $WORK/t.NAME.
timed() {
    local name=$1 t0 t1
    shift
    sync
    t0=$EPOCHREALTIME
    "$@" >"$WORK/last.out" 2>&1 || { cat "$WORK/last.out" >&2; die "$name failed: $*"; }
    t1=$EPOCHREALTIME
    echo "$t0 $t1" | awk '{printf "%.3f\n", $2 - $1}' >> "$WORK/t.$name"
    log "$name: $(tail -1 "$WORK/t.$name") s"
}
run_tar() { fresh; timed tar tar -xzf "$WORK/layer.tar.gz" -C "$D"; }
run_load() { fresh; timed berth_load "$BERTH" --root "$D" image load --input "$LAYOUT"; }
run_pull() { fresh; timed berth_pull "$BERTH" --root "$D" pull --insecure -q "$REF"; }
skopeo_umoci() {
    skopeo copy -q --src-tls-verify=false "docker://$REF" "oci:$1/oci:1" &&
        umoci unpack --image "$1/oci:1" "$1/bundle"
}
run_skopeo() { fresh; timed skopeo_umoci skopeo_umoci "$D"; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq "$RUNS"); do
    if (( r % 2 )); then run_load; run_tar; else run_tar; run_load; fi
done
for r in $(seq "$RUNS"); do
    if (( r % 2 )); then run_pull; run_skopeo; else run_skopeo; run_pull; fi
done

# Sanity: the trees berth and tar produced hold the same number of entries (run 1 = load).
TAR_TREE=$WORK/runs/2
LOAD_COUNT=$(find "$WORK/runs/1" -path '*/blobs' -prune -o -print | wc -l)
TAR_COUNT=$(find "$TAR_TREE" | wc -l)
UMOCI_COUNT=$(find "$WORK/runs/$((RUNS * 2 + 2))/bundle/rootfs" 2>/dev/null | wc -l || true)

median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
all() { paste -sd' ' "$1" | sed 's/ /, /g'; }
M_LOAD=$(median "$WORK/t.berth_load"); M_TAR=$(median "$WORK/t.tar")
M_PULL=$(median "$WORK/t.berth_pull"); M_SU=$(median "$WORK/t.skopeo_umoci")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a / b}'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN {printf "%.0f", b / 1e6 / s}'; }

DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
TABLE=$(cat <<EOF
### Unpack of one gzip layer, $RUNS runs each (${DATE})

Layer: generated, $(awk -v b="$GZ_BYTES" 'BEGIN {printf "%.0f", b/1e6}') MB gzip, $(awk -v b="$TAR_BYTES" 'BEGIN {printf "%.0f", b/1e6}') MB tar, $ENTRIES entries (\`--files $NFILES --seed $SEED\`).

| what | median s | all runs s | MB/s of tar | ratio vs peer |
|---|---:|---:|---:|---:|
| \`berth image load --input LAYOUT\` (copy blob, verify digest + DiffID, unpack) | $M_LOAD | $(all "$WORK/t.berth_load") | $(mbps "$TAR_BYTES" "$M_LOAD") | $(ratio "$M_LOAD" "$M_TAR") |
| \`tar -xzf layer.tar.gz -C DIR\` | $M_TAR | $(all "$WORK/t.tar") | $(mbps "$TAR_BYTES" "$M_TAR") | 1.00x |
| \`berth pull --insecure -q REF\` (local registry: download, verify, unpack) | $M_PULL | $(all "$WORK/t.berth_pull") | $(mbps "$TAR_BYTES" "$M_PULL") | $(ratio "$M_PULL" "$M_SU") |
| \`skopeo copy docker://REF oci:DIR:1\` + \`umoci unpack --image DIR:1 BUNDLE\` | $M_SU | $(all "$WORK/t.skopeo_umoci") | $(mbps "$TAR_BYTES" "$M_SU") | 1.00x |

- command: \`$CMDLINE\` (cwd \`$PWD\`), berth \`$BERTH\`
- protocol: a fresh directory per run on the same ext4 filesystem, nothing deleted until all runs are done, \`sync\` before every run (untimed), A/B alternating with the order flipped each round, wall time from \$EPOCHREALTIME; pull: docker-registry on 127.0.0.1, image pushed with \`skopeo copy --preserve-digests\`
- entries in the unpacked tree: berth $LOAD_COUNT, tar $TAR_COUNT, umoci rootfs $UMOCI_COUNT (each counts its root directory)
- machine: nproc $(nproc), kernel $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), fs $(findmnt -no FSTYPE -T "$WORK") ($(findmnt -no OPTIONS -T "$WORK" | cut -d, -f1-3)), loadavg before: $LOAD_BEFORE
- versions: berth repo $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet 2>/dev/null || echo ' (+ uncommitted changes)'), binary $(date -u -r "$BERTH" '+%Y-%m-%d %H:%M UTC'); $(tar --version | head -1); gzip $(gzip --version | head -1 | awk '{print $2}'); $(skopeo --version); umoci $(umoci --version | awk '{print $3}'); docker-registry $(dpkg-query -W -f '${Version}' docker-registry 2>/dev/null || echo '?')
EOF
)
echo "$TABLE"
if [[ -n $MARKDOWN ]]; then
    printf '\n%s\n' "$TABLE" >> "$MARKDOWN"
    log "appended to $MARKDOWN"
fi
log "removing $WORK"
