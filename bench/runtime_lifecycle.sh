#!/usr/bin/env bash
# runtime_lifecycle.sh [N] [--repeat R] [--markdown FILE] [--rss-runs K] [--realistic]
#
# OCI lifecycle benchmark: N sequential `RUNTIME --root STATE run ID` of
# /bin/true in a busybox bundle (run from the bundle directory), for
# berth-runtime (if built), crun and runc, interleaved per round so a noisy,
# shared machine hurts every runtime alike (the order rotates each round, so no
# runtime always goes first). One warm-up run per runtime and repeat is not
# counted.
#
#   N              runs per runtime and repeat (default 20)
#   --realistic    the hardened config users run: `berth-runtime spec` (Docker's 14
#                  capabilities, masked and read-only paths, the default seccomp
#                  profile, no_new_privs, rlimits) instead of a trimmed `runc spec`
#   --repeat R     repeat the whole measurement R times (default 1); the table
#                  reports, per runtime, the median across repeats of each
#                  repeat's median (and of each repeat's total); every repeat's
#                  medians are printed too
#   --markdown F   append the tables, the exact command, date and machine to F
#   --rss-runs K   extra runs per runtime under /usr/bin/time for peak RSS,
#                  after all repeats (default 5)
#
# Environment:
#   BERTH_RUNTIME  berth-runtime binary (default <repo>/build/bin/berth-runtime;
#                  skipped with a note when missing)
#   CRUN, RUNC     crun / runc binaries (default: from PATH)
#
# Same environment for every runtime: the script re-executes itself ONCE in a
# private mount namespace (`unshare -m --propagation private`), lazily unmounts
# /sys/fs/cgroup/unified there if it is mounted (crun 1.8.1 refuses a hybrid
# cgroup host: "cgroups in hybrid mode not supported") and puts an empty
# private tmpfs in its place (crun still writes <id>/cgroup.procs there, which
# would otherwise leak onto the host's /sys/fs/cgroup tmpfs), and runs ALL
# runtimes directly in that namespace, with no wrapper around any of them. The
# cgroup v1 hierarchies stay mounted, so every runtime sees a pure cgroup v1
# host and creates and removes its v1 cgroups there (berth-runtime under
# <controller>/berth/ID, runc and crun under <controller>/ID). The host's
# mounts are not changed.
#
# What is measured:
#   * wall time of each `run` (fork+exec of the runtime until it has reaped the
#     container and deleted it), with bash's $EPOCHREALTIME right around the
#     command, so no date(1) processes fall inside the interval.
#   * peak RSS: GNU time's %M (KiB) = max RSS over the runtime process and the
#     descendants it waited for (runc: `runc init`; the container's /bin/true).
#     Max over the RSS runs, which are separate from the timed runs so time(1)'s
#     own fork does not inflate wall times.
#
# Leaves nothing behind: every container gets a unique id, leftovers are
# `delete --force`d, the work dir is removed (its mounts live only in the
# private namespace); state dirs and processes are checked at the end, and the
# /sys/fs/cgroup tree (the cgroup2 one included) is compared from the host's
# view before and after: a new dir carrying this run's id tag is a leftover
# (warning + non-zero exit); other new dirs (a runtime's shared parent such as
# <controller>/berth, or other work on the machine) are listed as a note.
set -euo pipefail
export LC_ALL=C   # EPOCHREALTIME must use '.' as the decimal point

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
SELF=$HERE/$(basename -- "${BASH_SOURCE[0]}")
REPO=$(cd -- "$HERE/.." && pwd)
ARGS=("$@")

N=20
REPEAT=1
MARKDOWN=
RSS_RUNS=5
while [[ $# -gt 0 ]]; do
    case $1 in
        --markdown) [[ $# -ge 2 ]] || { echo "--markdown needs FILE" >&2; exit 2; }; MARKDOWN=$2; shift 2 ;;
        --markdown=*) MARKDOWN=${1#*=}; shift ;;
        --rss-runs) [[ $# -ge 2 ]] || { echo "--rss-runs needs K" >&2; exit 2; }; RSS_RUNS=$2; shift 2 ;;
        --rss-runs=*) RSS_RUNS=${1#*=}; shift ;;
        --repeat) [[ $# -ge 2 ]] || { echo "--repeat needs R" >&2; exit 2; }; REPEAT=$2; shift 2 ;;
        --repeat=*) REPEAT=${1#*=}; shift ;;
        --realistic) REALISTIC=1; shift ;;
        -h|--help) sed -n '2,52p' "$SELF" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) if [[ $1 =~ ^[0-9]+$ && $1 -gt 0 ]]; then N=$1; shift; else echo "bad argument: $1" >&2; exit 2; fi ;;
    esac
done
[[ $RSS_RUNS =~ ^[0-9]+$ ]] || { echo "--rss-runs must be a number" >&2; exit 2; }
[[ $REPEAT =~ ^[0-9]+$ && $REPEAT -gt 0 ]] || { echo "--repeat must be a positive number" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "must run as root" >&2; exit 2; }
[[ -n ${EPOCHREALTIME:-} ]] || { echo "needs bash >= 5 (EPOCHREALTIME)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }
for tool in python3 unshare mountpoint; do
    command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
done

cgroup_dirs() { find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d 2>/dev/null | sort; }

# ================================================================== outer part
# On the host: make the work dir, snapshot the cgroup tree, re-exec once in the
# private mount namespace, then check and clean what that left behind.
if [[ -z ${_BERTH_BENCH_INNER:-} ]]; then
    if [[ -n $MARKDOWN ]]; then MARKDOWN=$(realpath -m -- "$MARKDOWN"); fi
    W=$(mktemp -d /tmp/berth-bench.XXXXXXXX)
    TAG=bench$$x$RANDOM
    cgroup_dirs > "$W/cgroups.before"
    outer_cleanup() {
        local rc=$?
        set +eu
        trap - EXIT INT TERM
        # cgroups a runtime may have left for our containers (named after our ids)
        cgroup_dirs | grep -F -- "$TAG" | sort -r | while read -r d; do rmdir -- "$d" 2>/dev/null; done
        rm -rf -- "$W"
        exit "$rc"
    }
    trap outer_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    rc=0
    _BERTH_BENCH_INNER=1 _BERTH_BENCH_W=$W _BERTH_BENCH_TAG=$TAG _BERTH_BENCH_MD=$MARKDOWN \
        _BERTH_BENCH_CMD="$0${ARGS[*]:+ ${ARGS[*]}}" _BERTH_BENCH_PWD=$PWD \
        unshare -m --propagation private -- bash "$SELF" "${ARGS[@]}" || rc=$?

    leftover=0
    if pgrep -f -- "$TAG" >/dev/null 2>&1; then
        echo "warning: processes still running for this benchmark:" >&2; pgrep -a -f -- "$TAG" >&2; leftover=1
    fi
    cgroup_dirs > "$W/cgroups.after"
    comm -13 "$W/cgroups.before" "$W/cgroups.after" > "$W/cgroups.new"
    if grep -qF -- "$TAG" "$W/cgroups.new"; then
        echo "warning: cgroups left for this benchmark's containers:" >&2
        grep -F -- "$TAG" "$W/cgroups.new" | head -20 >&2
        leftover=1
    fi
    if grep -vqF -- "$TAG" "$W/cgroups.new"; then
        echo "note: other cgroup dirs appeared during the run (not named after our ids; left alone):" >&2
        grep -vF -- "$TAG" "$W/cgroups.new" | head -10 >&2
    fi
    [[ $rc -ne 0 ]] && exit "$rc"
    exit "$leftover"
fi

# ================================================================== inner part
# In the private mount namespace: everything below sees the same mounts.
W=$_BERTH_BENCH_W
TAG=$_BERTH_BENCH_TAG
MARKDOWN=$_BERTH_BENCH_MD
ORIG_CMD=$_BERTH_BENCH_CMD
ORIG_PWD=$_BERTH_BENCH_PWD
unset _BERTH_BENCH_INNER _BERTH_BENCH_W _BERTH_BENCH_TAG _BERTH_BENCH_MD _BERTH_BENCH_CMD _BERTH_BENCH_PWD

LOADAVG=$(cut -d" " -f1-3 /proc/loadavg)
UNMOUNTED=0
if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
    umount -l /sys/fs/cgroup/unified
    # crun (v1 mode) still mkdirs <id> here and writes cgroup.procs, which on a
    # plain directory becomes a regular file, so its rmdir fails and the dir
    # would stay on the host's /sys/fs/cgroup tmpfs, hidden under the cgroup2
    # mount. A namespace-private tmpfs catches that and goes away with us.
    mount -t tmpfs -o mode=755,nosuid,nodev,noexec berth-bench-unified /sys/fs/cgroup/unified
    UNMOUNTED=1
fi

BERTH=${BERTH_RUNTIME:-$REPO/build/bin/berth-runtime}
CRUN=${CRUN:-$(command -v crun || true)}
RUNC=${RUNC:-$(command -v runc || true)}
BUNDLE=$W/bundle
NAMES=()          # runtime labels
declare -A BIN    # label -> runtime binary
declare -A FAILED # label -> first error

cleanup() {
    local rc=$?
    set +eu
    trap - EXIT INT TERM
    cd /
    local label d
    for label in "${NAMES[@]}"; do
        for d in "$W/state-$label"/*/; do
            [[ -d $d ]] || continue
            timeout 20 "${BIN[$label]}" --root "$W/state-$label" delete --force "$(basename -- "$d")" >/dev/null 2>&1
        done
    done
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
if [[ -n $CRUN ]]; then NAMES+=(crun); BIN[crun]=$CRUN; else echo "note: crun not found; skipped" >&2; fi
if [[ -n $RUNC ]]; then NAMES+=(runc); BIN[runc]=$RUNC; else echo "note: runc not found; skipped" >&2; fi
[[ ${#NAMES[@]} -gt 0 ]] || { echo "no runtime to benchmark" >&2; exit 1; }
K=${#NAMES[@]}

# ------------------------------------------------------------------ bundle
mkdir -p "$BUNDLE"
"$REPO/rootfs-fixtures/busybox-rootfs.sh" "$BUNDLE/rootfs"
SPEC_RUNTIME=${RUNC:-${BIN[${NAMES[0]}]}}
CONFIG_DESC='`runc spec` edited: args [/bin/true], terminal false, namespaces pid ipc uts mount network, mounts /proc /dev /dev/pts /dev/shm /dev/mqueue /sys'
if [[ ${REALISTIC:-0} == 1 ]]; then
    SPEC_RUNTIME=$BERTH
    CONFIG_DESC='realistic: `berth-runtime spec` as is (Docker caps, masked/read-only paths, default seccomp profile, no_new_privs, 6 namespaces) with args [/bin/true]'
fi
(cd "$BUNDLE" && "$SPEC_RUNTIME" spec)     # writes ./config.json
python3 - "$BUNDLE/config.json" "${REALISTIC:-0}" <<'PY'
import json, sys
path = sys.argv[1]
with open(path) as f:
    c = json.load(f)
c["process"]["args"] = ["/bin/true"]
if sys.argv[2] == "1":      # keep berth's hardened defaults as they are
    with open(path, "w") as f:
        json.dump(c, f, indent=2)
    sys.exit(0)
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
for label in "${NAMES[@]}"; do mkdir -p "$W/state-$label"; : > "$W/rss-$label"; done

ONE_ERR=$W/last.err
# One timed run; sets ELAPSED_US, returns the runtime's exit code.
run_once() {  # label id
    local label=$1 id=$2 t0 t1 rc=0
    local -a cmd=("${BIN[$label]}" --root "$W/state-$label" run "$id")
    t0=$EPOCHREALTIME
    "${cmd[@]}" </dev/null >/dev/null 2>"$ONE_ERR" || rc=$?
    t1=$EPOCHREALTIME
    ELAPSED_US=$(( ${t1/./} - ${t0/./} ))
    return $rc
}
delete_leftover() {  # label id
    if [[ -e $W/state-$1/$2 ]]; then
        timeout 20 "${BIN[$1]}" --root "$W/state-$1" delete --force "$2" >/dev/null 2>&1 || true
    fi
}
note_failure() {  # label id rc
    if [[ -n ${FAILED[$1]:-} ]]; then return 0; fi
    FAILED[$1]="run $2 exited $3: $(tr -d '\000' < "$ONE_ERR" | head -c 300 | tr '\n' ' ')"
    echo "warning: ${FAILED[$1]}" >&2
}

cd "$BUNDLE"    # runc CLI default: the bundle is the current directory
ENV_NOTE="all runtimes run directly in one private mount namespace"
[[ $UNMOUNTED -eq 1 ]] && ENV_NOTE+=" where /sys/fs/cgroup/unified is unmounted (an empty private tmpfs stands in)"
echo "# runtime lifecycle: $REPEAT x $N x run /bin/true per runtime, interleaved; runtimes: ${NAMES[*]}" >&2
echo "# $ENV_NOTE" >&2
sync

for ((r = 1; r <= REPEAT; r++)); do
    for label in "${NAMES[@]}"; do : > "$W/times-$label-r$r"; done
    # warm-up (page cache, binary load), not counted
    for label in "${NAMES[@]}"; do
        [[ -n ${FAILED[$label]:-} ]] && continue
        id=$TAG-$label-r$r-warm
        run_once "$label" "$id" || note_failure "$label" "$id" $?
        delete_leftover "$label" "$id"
    done
    # timed rounds; round i starts with runtime (i-1) mod K
    for ((i = 1; i <= N; i++)); do
        for ((j = 0; j < K; j++)); do
            label=${NAMES[$(( (i - 1 + j) % K ))]}
            [[ -n ${FAILED[$label]:-} ]] && continue
            id=$TAG-$label-r$r-$i
            if run_once "$label" "$id"; then
                echo "$ELAPSED_US" >> "$W/times-$label-r$r"
            else
                note_failure "$label" "$id" $?
            fi
            delete_leftover "$label" "$id"
        done
    done
    line="# repeat $r/$REPEAT medians:"
    for label in "${NAMES[@]}"; do
        m=$(python3 -c 'import statistics,sys; v=[int(l) for l in open(sys.argv[1])]; print("%.2f ms" % (statistics.median(v)/1000) if v else "-")' "$W/times-$label-r$r")
        line+=" $label $m;"
    done
    echo "${line%;}" >&2
done

# peak-RSS rounds
for ((i = 1; i <= RSS_RUNS; i++)); do
    for label in "${NAMES[@]}"; do
        [[ -n ${FAILED[$label]:-} ]] && continue
        id=$TAG-$label-rss$i
        out=$W/rss.out
        rm -f "$out"
        rc=0
        /usr/bin/time -f %M -o "$out" "${BIN[$label]}" --root "$W/state-$label" run "$id" \
            </dev/null >/dev/null 2>"$ONE_ERR" || rc=$?
        if [[ $rc -eq 0 && -s $out ]]; then
            tail -n 1 "$out" >> "$W/rss-$label"
        else
            note_failure "$label" "$id" "$rc"
        fi
        delete_leftover "$label" "$id"
    done
done

# ------------------------------------------------------------------ report
VERSIONS=()
for label in "${NAMES[@]}"; do
    v=$("${BIN[$label]}" --version 2>/dev/null | head -1 || true)
    if [[ -z $v && $label == berth-runtime ]]; then   # no --version yet: name the source tree
        v="no --version; repo $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo '?'), binary $(date -u -r "${BIN[$label]}" '+%Y-%m-%d %H:%M UTC')"
    fi
    VERSIONS+=("$label: ${v:-unknown};")
done
python3 - "$W" "$N" "$REPEAT" "${NAMES[@]}" <<'PY'
import os, statistics, sys
w, n, reps, names = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
def ints(p):
    try:
        return [int(x) for x in open(p).read().split()]
    except FileNotFoundError:
        return []
times = {nm: [ints(os.path.join(w, "times-%s-r%d" % (nm, r))) for r in range(1, reps + 1)] for nm in names}
rss = {nm: ints(os.path.join(w, "rss-" + nm)) for nm in names}
ok = {nm: all(len(t) == n for t in times[nm]) for nm in names}
med = {nm: statistics.median(statistics.median(t) for t in times[nm]) for nm in names if ok[nm]}
tot = {nm: statistics.median(sum(t) for t in times[nm]) for nm in names if ok[nm]}
base = med.get("crun")
what = "median ms/run" if reps == 1 else "median of %d repeat medians, ms/run" % reps
totw = "total s for N=%d" % n if reps == 1 else "median total s for N=%d" % n
main = ["| runtime | %s | %s | ratio vs crun | peak RSS KiB |" % (what, totw), "|---|---:|---:|---:|---:|"]
for nm in names:
    r = str(max(rss[nm])) if rss[nm] else "-"
    if not ok[nm]:
        good = sum(len(t) for t in times[nm])
        main.append("| %s | FAILED (%d/%d runs ok) | - | - | %s |" % (nm, good, n * reps, r))
        continue
    ratio = "%.2fx" % (med[nm] / base) if base else "-"
    main.append("| %s | %.2f | %.3f | %s | %s |" % (nm, med[nm] / 1000.0, tot[nm] / 1e6, ratio, r))
per = ["| repeat | " + " | ".join("%s ms" % nm for nm in names) +
       (" | berth-runtime / crun |" if "berth-runtime" in names and "crun" in names else " |"),
       "|---:|" + "---:|" * len(names) + ("---:|" if "berth-runtime" in names and "crun" in names else "")]
for r in range(reps):
    cells = []
    m = {}
    for nm in names:
        t = times[nm][r]
        if t:
            m[nm] = statistics.median(t)
            cells.append("%.2f" % (m[nm] / 1000.0) + ("" if len(t) == n else " (%d/%d)" % (len(t), n)))
        else:
            cells.append("-")
    row = "| %d | %s |" % (r + 1, " | ".join(cells))
    if "berth-runtime" in names and "crun" in names:
        row += " %s |" % ("%.2fx" % (m["berth-runtime"] / m["crun"]) if "berth-runtime" in m and "crun" in m else "-")
    per.append(row)
with open(os.path.join(w, "table.md"), "w") as f:
    f.write("\n".join(main) + "\n")
with open(os.path.join(w, "repeats.md"), "w") as f:
    f.write("\n".join(per) + "\n")
PY
TABLE=$(cat "$W/table.md")
REPEATS=$(cat "$W/repeats.md")
NOTES="Wall time per \`run\` from \$EPOCHREALTIME around the command. Same environment for all: the script re-executes itself once under \`unshare -m --propagation private\`; $ENV_NOTE; no wrapper around any runtime. Peak RSS: max over $RSS_RUNS runs of GNU time %M (runtime + the children it waited for)."
echo
echo "$TABLE"
echo
echo "Per-repeat medians (ms/run):"
echo
echo "$REPEATS"
echo
echo "$NOTES"
for label in "${NAMES[@]}"; do
    if [[ -n ${FAILED[$label]:-} ]]; then echo "FAILED $label: ${FAILED[$label]}"; fi
done

if [[ -n $MARKDOWN ]]; then
    {
        echo
        echo "### OCI lifecycle: $REPEAT x $N x \`run\` /bin/true ($(date -u '+%Y-%m-%d %H:%M UTC'))"
        echo
        echo "$TABLE"
        echo
        echo "Per-repeat medians (ms/run):"
        echo
        echo "$REPEATS"
        echo
        echo "- $NOTES"
        echo "- command: \`$ORIG_CMD\` (cwd \`$ORIG_PWD\`${BERTH_RUNTIME:+, BERTH_RUNTIME=$BERTH_RUNTIME})"
        echo "- per-run command: \`RUNTIME --root STATE run ID\` from the bundle dir, unique ID per run, rounds interleaved with rotating order (${NAMES[*]}), 1 warm-up run each per repeat, $RSS_RUNS separate RSS runs each; bundle: busybox fixture rootfs (read-only), $CONFIG_DESC"
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
if [[ $UNMOUNTED -eq 1 ]]; then
    stale=$(find /sys/fs/cgroup/unified -mindepth 1 -type d -name "$TAG-*" | wc -l)
    [[ $stale -gt 0 ]] && echo "note: $stale dirs named after our ids are left in the private tmpfs stand-in for /sys/fs/cgroup/unified (crun 1.8.1 writes <id>/cgroup.procs there, so its rmdir fails); discarded with the namespace" >&2
fi
for label in "${NAMES[@]}"; do
    # Container state only: berth's shared compiled-seccomp cache (.seccomp-cache) is meant to stay.
    if [[ -n $(ls "$W/state-$label" 2>/dev/null) ]]; then
        echo "warning: $label left state: $(ls "$W/state-$label" | tr '\n' ' ')" >&2; leftover=1
    fi
done

fails=0
for label in "${NAMES[@]}"; do if [[ -n ${FAILED[$label]:-} ]]; then fails=1; fi; done
[[ $fails -eq 0 && $leftover -eq 0 ]]
