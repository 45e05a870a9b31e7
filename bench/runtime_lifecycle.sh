#!/usr/bin/env bash
# runtime_lifecycle.sh [N] [--markdown FILE] [--rss-runs K]
#
# OCI lifecycle benchmark: N sequential `RUNTIME --root STATE run ID` of
# /bin/true in a busybox bundle (run from the bundle directory), for
# berth-runtime (if built), crun and runc, interleaved per round (berth, crun,
# crun-wrapper, runc, berth, crun, ...) so a noisy, shared machine hurts every
# runtime alike. One warm-up run per runtime is not counted.
#
#   N              runs per runtime (default 20)
#   --markdown F   append the table, the exact command, date and machine to F
#   --rss-runs K   extra runs per runtime under /usr/bin/time for peak RSS (default 5)
#
# Environment:
#   BERTH_RUNTIME  berth-runtime binary (default <repo>/build/bin/berth-runtime;
#                  skipped with a note when missing)
#   CRUN, RUNC     crun / runc binaries (default: from PATH)
#
# crun on this hybrid-cgroup host: crun 1.8.1 refuses to run while cgroup2 is
# mounted at /sys/fs/cgroup/unified ("cgroups in hybrid mode not supported").
# Two rows are measured:
#   crun          crun runs in ONE persistent private mount namespace where
#                 /sys/fs/cgroup/unified is unmounted, made once up front
#                 (`unshare --mount=FILE`); each run is
#                 `nsenter --mount=FILE --wd=BUNDLE crun --root STATE run ID`,
#                 so crun's time includes only nsenter's extra exec (~1 ms).
#                 This is the baseline for "ratio vs crun".
#   crun-wrapper  the per-run wrapper from the reference notes:
#                 `unshare -m sh -c 'umount -l /sys/fs/cgroup/unified; exec crun "$@"'`;
#                 its cost (new mount ns, sh, umount) is inside the time.
# The cost of nsenter / the wrapper alone (exec'ing /bin/true) is printed below
# the table. On a host without /sys/fs/cgroup/unified, crun runs directly and
# there is no crun-wrapper row.
#
# What is measured:
#   * wall time of each `run` (fork+exec of the runtime until it has reaped the
#     container and deleted it), with bash's $EPOCHREALTIME right around the
#     command, so no date(1) processes fall inside the interval.
#   * peak RSS: GNU time's %M (KiB) = max RSS over the runtime process and the
#     descendants it waited for (runc: `runc init`; the container's /bin/true).
#     For crun, /usr/bin/time runs INSIDE nsenter / the wrapper, so nsenter,
#     unshare and sh are not counted. Max over the RSS runs, which are separate
#     from the timed runs so time(1)'s own fork does not inflate wall times.
#
# Leaves nothing behind: every container gets a unique id, leftovers are
# `delete --force`d, the mount namespace and any mount under the work dir are
# unmounted, the work dir is removed; state dirs, processes and cgroups are
# checked at the end (warning + non-zero exit on leftovers).
set -euo pipefail
export LC_ALL=C   # EPOCHREALTIME must use '.' as the decimal point

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "$HERE/.." && pwd)
ORIG_CMD="$0${*:+ $*}"
ORIG_PWD=$PWD

N=20
MARKDOWN=
RSS_RUNS=5
while [[ $# -gt 0 ]]; do
    case $1 in
        --markdown) [[ $# -ge 2 ]] || { echo "--markdown needs FILE" >&2; exit 2; }; MARKDOWN=$2; shift 2 ;;
        --markdown=*) MARKDOWN=${1#*=}; shift ;;
        --rss-runs) [[ $# -ge 2 ]] || { echo "--rss-runs needs K" >&2; exit 2; }; RSS_RUNS=$2; shift 2 ;;
        --rss-runs=*) RSS_RUNS=${1#*=}; shift ;;
        -h|--help) sed -n '2,52p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) if [[ $1 =~ ^[0-9]+$ && $1 -gt 0 ]]; then N=$1; shift; else echo "bad argument: $1" >&2; exit 2; fi ;;
    esac
done
[[ $RSS_RUNS =~ ^[0-9]+$ ]] || { echo "--rss-runs must be a number" >&2; exit 2; }
if [[ -n $MARKDOWN ]]; then MARKDOWN=$(realpath -m -- "$MARKDOWN"); fi
[[ $(id -u) -eq 0 ]] || { echo "must run as root" >&2; exit 2; }
[[ -n ${EPOCHREALTIME:-} ]] || { echo "needs bash >= 5 (EPOCHREALTIME)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }
for tool in python3 unshare nsenter mountpoint; do
    command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
done

BERTH=${BERTH_RUNTIME:-$REPO/build/bin/berth-runtime}
CRUN=${CRUN:-$(command -v crun || true)}
RUNC=${RUNC:-$(command -v runc || true)}
LOADAVG=$(cut -d" " -f1-3 /proc/loadavg)
HYBRID=0
mountpoint -q /sys/fs/cgroup/unified 2>/dev/null && HYBRID=1

W=$(mktemp -d /tmp/berth-bench.XXXXXXXX)
TAG=bench$$x$RANDOM
BUNDLE=$W/bundle
NSFILE=$W/ns/mnt
NAMES=()          # runtime labels, in round order
declare -A BIN    # label -> runtime binary
declare -A FAILED # label -> first error
UNIFIED_OFF='umount -l /sys/fs/cgroup/unified'

# CMD=(how to run LABEL with runtime args "$@")
rt_cmd() {
    local label=$1; shift
    case $label in
        crun)
            if [[ $HYBRID -eq 1 ]]; then CMD=(nsenter --mount="$NSFILE" --wd="$PWD" "${BIN[crun]}" "$@")
            else CMD=("${BIN[crun]}" "$@"); fi ;;
        crun-wrapper) CMD=(unshare -m sh -c "$UNIFIED_OFF"'; exec "$0" "$@"' "${BIN[crun]}" "$@") ;;
        *) CMD=("${BIN[$label]}" "$@") ;;
    esac
}
# same, with `/usr/bin/time -f %M -o OUT` around the runtime binary itself
rt_rss_cmd() {
    local label=$1 out=$2; shift 2
    case $label in
        crun)
            if [[ $HYBRID -eq 1 ]]; then CMD=(nsenter --mount="$NSFILE" --wd="$PWD" /usr/bin/time -f %M -o "$out" "${BIN[crun]}" "$@")
            else CMD=(/usr/bin/time -f %M -o "$out" "${BIN[crun]}" "$@"); fi ;;
        crun-wrapper) CMD=(unshare -m sh -c "$UNIFIED_OFF"'; exec /usr/bin/time -f %M -o "$0" "$@"' "$out" "${BIN[crun]}" "$@") ;;
        *) CMD=(/usr/bin/time -f %M -o "$out" "${BIN[$label]}" "$@") ;;
    esac
}

cgroup_dirs() { find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d 2>/dev/null | sort; }
cgroup_dirs > "$W/cgroups.before"

cleanup() {
    local rc=$?
    set +eu
    trap - EXIT INT TERM
    cd /
    local label d
    for label in "${NAMES[@]}"; do
        for d in "$W/state-$label"/*/; do
            [[ -d $d ]] || continue
            rt_cmd "$label" --root "$W/state-$label" delete --force "$(basename -- "$d")"
            timeout 20 "${CMD[@]}" >/dev/null 2>&1
        done
    done
    # the persistent mount namespace (nsfs bind mount) and anything else under $W
    awk -v t="$W/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
        while read -r d; do umount -- "$d" 2>/dev/null || umount -l -- "$d" 2>/dev/null; done
    # cgroups a runtime may have left for our containers (named after our ids)
    cgroup_dirs | grep -F -- "$TAG" | sort -r | while read -r d; do rmdir -- "$d" 2>/dev/null; done
    rm -rf -- "$W"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ runtimes
if [[ -x $BERTH && -f $BERTH ]]; then
    NAMES+=(berth-runtime); BIN[berth-runtime]=$(readlink -f -- "$BERTH")
else
    echo "note: berth-runtime not found at $BERTH (set BERTH_RUNTIME); skipped" >&2
fi
if [[ -n $CRUN ]]; then
    NAMES+=(crun); BIN[crun]=$CRUN
    if [[ $HYBRID -eq 1 ]]; then NAMES+=(crun-wrapper); BIN[crun-wrapper]=$CRUN; fi
else
    echo "note: crun not found; skipped" >&2
fi
if [[ -n $RUNC ]]; then NAMES+=(runc); BIN[runc]=$RUNC; else echo "note: runc not found; skipped" >&2; fi
[[ ${#NAMES[@]} -gt 0 ]] || { echo "no runtime to benchmark" >&2; exit 1; }

# persistent private mount namespace without the cgroup2 mount, for crun
if [[ -n $CRUN && $HYBRID -eq 1 ]]; then
    mkdir -p "$W/ns"; : > "$NSFILE"
    mount --bind "$W/ns" "$W/ns"          # unshare --mount=FILE needs a private parent mount
    mount --make-private "$W/ns"
    unshare --mount="$NSFILE" --propagation private sh -c "$UNIFIED_OFF"
fi

# ------------------------------------------------------------------ bundle
mkdir -p "$BUNDLE"
"$REPO/rootfs-fixtures/busybox-rootfs.sh" "$BUNDLE/rootfs"
SPEC_RUNTIME=${RUNC:-${BIN[${NAMES[0]}]}}
(cd "$BUNDLE" && "$SPEC_RUNTIME" spec)     # writes ./config.json
python3 - "$BUNDLE/config.json" <<'PY'
import json, sys
path = sys.argv[1]
with open(path) as f:
    c = json.load(f)
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
c["process"]["cwd"] = "/"
c["root"] = {"path": "rootfs", "readonly": True}
c["hostname"] = "bench"
c["linux"]["namespaces"] = [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")]
wanted = ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"]
mounts = {m["destination"]: m for m in c["mounts"]}
missing = [d for d in wanted if d not in mounts]
if missing:
    sys.exit("runtime spec lacks mounts: %s" % missing)
c["mounts"] = [mounts[d] for d in wanted]     # drops /sys/fs/cgroup
with open(path, "w") as f:
    json.dump(c, f, indent=2)
    f.write("\n")
PY
for label in "${NAMES[@]}"; do mkdir -p "$W/state-$label"; : > "$W/times-$label"; : > "$W/rss-$label"; done

ONE_ERR=$W/last.err
# One timed run; sets ELAPSED_US, returns the runtime's exit code.
run_once() {  # label id
    local label=$1 id=$2 t0 t1 rc=0
    rt_cmd "$label" --root "$W/state-$label" run "$id"
    t0=$EPOCHREALTIME
    "${CMD[@]}" </dev/null >/dev/null 2>"$ONE_ERR" || rc=$?
    t1=$EPOCHREALTIME
    ELAPSED_US=$(( ${t1/./} - ${t0/./} ))
    return $rc
}
delete_leftover() {  # label id
    if [[ -e $W/state-$1/$2 ]]; then
        rt_cmd "$1" --root "$W/state-$1" delete --force "$2"
        timeout 20 "${CMD[@]}" >/dev/null 2>&1 || true
    fi
}
note_failure() {  # label id rc
    if [[ -n ${FAILED[$1]:-} ]]; then return 0; fi
    FAILED[$1]="run $2 exited $3: $(tr -d '\000' < "$ONE_ERR" | head -c 300 | tr '\n' ' ')"
    echo "warning: ${FAILED[$1]}" >&2
}
median_ms() {  # file of microseconds
    python3 -c 'import statistics,sys; print("%.2f" % (statistics.median(int(l) for l in open(sys.argv[1])) / 1000))' "$1"
}

cd "$BUNDLE"    # runc CLI default: the bundle is the current directory
echo "# runtime lifecycle: $N x run /bin/true per runtime, interleaved; runtimes: ${NAMES[*]}" >&2
sync

# warm-up (page cache, binary load), not counted
for label in "${NAMES[@]}"; do
    id=$TAG-$label-warm
    run_once "$label" "$id" || note_failure "$label" "$id" $?
    delete_leftover "$label" "$id"
done

# timed rounds
for ((i = 1; i <= N; i++)); do
    for label in "${NAMES[@]}"; do
        if [[ -n ${FAILED[$label]:-} ]]; then continue; fi
        id=$TAG-$label-$i
        if run_once "$label" "$id"; then
            echo "$ELAPSED_US" >> "$W/times-$label"
        else
            note_failure "$label" "$id" $?
        fi
        delete_leftover "$label" "$id"
    done
done

# peak-RSS rounds
for ((i = 1; i <= RSS_RUNS; i++)); do
    for label in "${NAMES[@]}"; do
        if [[ -n ${FAILED[$label]:-} ]]; then continue; fi
        id=$TAG-$label-rss$i
        out=$W/rss.out
        rm -f "$out"
        rt_rss_cmd "$label" "$out" --root "$W/state-$label" run "$id"
        rc=0; "${CMD[@]}" </dev/null >/dev/null 2>"$ONE_ERR" || rc=$?
        if [[ $rc -eq 0 && -s $out ]]; then
            tail -n 1 "$out" >> "$W/rss-$label"
        else
            note_failure "$label" "$id" "$rc"
        fi
        delete_leftover "$label" "$id"
    done
done

# launcher overheads alone: the same launcher exec'ing /bin/true instead of crun
NSENTER_MS=; WRAP_MS=
if [[ -n $CRUN && $HYBRID -eq 1 ]]; then
    : > "$W/times-nsenter"; : > "$W/times-wrapper"
    for ((i = 1; i <= N; i++)); do
        t0=$EPOCHREALTIME
        nsenter --mount="$NSFILE" --wd="$PWD" /bin/true </dev/null >/dev/null 2>&1 || true
        t1=$EPOCHREALTIME
        echo $(( ${t1/./} - ${t0/./} )) >> "$W/times-nsenter"
        t0=$EPOCHREALTIME
        unshare -m sh -c "$UNIFIED_OFF"'; exec "$0" "$@"' /bin/true </dev/null >/dev/null 2>&1 || true
        t1=$EPOCHREALTIME
        echo $(( ${t1/./} - ${t0/./} )) >> "$W/times-wrapper"
    done
    NSENTER_MS=$(median_ms "$W/times-nsenter")
    WRAP_MS=$(median_ms "$W/times-wrapper")
fi

# ------------------------------------------------------------------ report
VERSIONS=()
for label in "${NAMES[@]}"; do
    [[ $label == crun-wrapper ]] && continue
    v=$("${BIN[$label]}" --version 2>/dev/null | head -1 || true)
    VERSIONS+=("$label: ${v:-unknown};")
done
TABLE=$(python3 - "$W" "$N" "${NAMES[@]}" <<'PY'
import os, statistics, sys
w, n, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def ints(p):
    try:
        return [int(x) for x in open(p).read().split()]
    except FileNotFoundError:
        return []
res = {nm: (ints(os.path.join(w, "times-" + nm)), ints(os.path.join(w, "rss-" + nm))) for nm in names}
base = statistics.median(res["crun"][0]) if "crun" in res and len(res["crun"][0]) == n else None
print("| runtime | median ms/run | total s for N=%d | ratio vs crun | peak RSS KiB |" % n)
print("|---|---:|---:|---:|---:|")
for nm in names:
    t, r = res[nm]
    rss = str(max(r)) if r else "-"
    if len(t) != n:
        print("| %s | FAILED (%d/%d runs ok) | - | - | %s |" % (nm, len(t), n, rss))
        continue
    ratio = "%.2fx" % (statistics.median(t) / base) if base else "-"
    print("| %s | %.2f | %.3f | %s | %s |" % (nm, statistics.median(t) / 1000.0, sum(t) / 1e6, ratio, rss))
PY
)
NOTES="Wall time per \`run\` from \$EPOCHREALTIME around the command. Peak RSS: max over $RSS_RUNS runs of GNU time %M (runtime + the children it waited for)."
if [[ -n $NSENTER_MS ]]; then
    NOTES+=" crun 1.8.1 refuses this hybrid-cgroup host: row crun = \`nsenter --mount=NS --wd=BUNDLE crun ...\` into one persistent mount namespace without /sys/fs/cgroup/unified (nsenter alone: median $NSENTER_MS ms); row crun-wrapper = per-run \`unshare -m sh -c 'umount -l /sys/fs/cgroup/unified; exec crun ...'\` (wrapper alone: median $WRAP_MS ms). crun's RSS is measured inside nsenter/the wrapper."
fi
echo
echo "$TABLE"
echo
echo "$NOTES"
for label in "${NAMES[@]}"; do
    if [[ -n ${FAILED[$label]:-} ]]; then echo "FAILED $label: ${FAILED[$label]}"; fi
done

if [[ -n $MARKDOWN ]]; then
    {
        echo
        echo "### OCI lifecycle: $N x \`run\` /bin/true ($(date -u '+%Y-%m-%d %H:%M UTC'))"
        echo
        echo "$TABLE"
        echo
        echo "- $NOTES"
        echo "- command: \`$ORIG_CMD\` (cwd \`$ORIG_PWD\`${BERTH_RUNTIME:+, BERTH_RUNTIME=$BERTH_RUNTIME})"
        echo "- per-run command: \`RUNTIME --root STATE run ID\` from the bundle dir, unique ID per run, rounds interleaved (${NAMES[*]}), 1 warm-up run each, $RSS_RUNS separate RSS runs each; bundle: busybox fixture rootfs (read-only), \`runc spec\` edited: args [/bin/true], terminal false, namespaces pid ipc uts mount network, mounts /proc /dev /dev/pts /dev/shm /dev/mqueue /sys"
        echo "- machine: nproc $(nproc), kernel $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), loadavg before: $LOADAVG"
        echo "- versions: ${VERSIONS[*]}"
        for label in "${NAMES[@]}"; do
            if [[ -n ${FAILED[$label]:-} ]]; then echo "- FAILED $label: ${FAILED[$label]}"; fi
        done
    } >> "$MARKDOWN"
    echo "appended to $MARKDOWN" >&2
fi

# ------------------------------------------------------------------ leftovers
leftover=0
for label in "${NAMES[@]}"; do
    if [[ -n $(ls -A "$W/state-$label" 2>/dev/null) ]]; then
        echo "warning: $label left state: $(ls -A "$W/state-$label" | tr '\n' ' ')" >&2; leftover=1
    fi
done
if pgrep -f -- "$TAG" >/dev/null 2>&1; then
    echo "warning: processes still running for this benchmark:" >&2; pgrep -a -f -- "$TAG" >&2; leftover=1
fi
cgroup_dirs > "$W/cgroups.after"
if ! diff -q "$W/cgroups.before" "$W/cgroups.after" >/dev/null; then
    echo "warning: cgroup directories changed during the run:" >&2
    diff "$W/cgroups.before" "$W/cgroups.after" | grep '^[<>]' | head -20 >&2
    leftover=1
fi

fails=0
for label in "${NAMES[@]}"; do if [[ -n ${FAILED[$label]:-} ]]; then fails=1; fi; done
[[ $fails -eq 0 && $leftover -eq 0 ]]
