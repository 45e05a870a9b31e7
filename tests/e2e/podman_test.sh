#!/usr/bin/env bash
# podman_test.sh RUNTIME_BINARY [FIXTURE_TAR]
#
# Real-client end-to-end test: podman (Debian 4.3) drives RUNTIME_BINARY, an
# OCI runtime with runc's CLI, through conmon exactly as it would in production.
#
#   RUNTIME_BINARY  e.g. build/bin/berth-runtime, or /usr/sbin/runc as a reference
#   FIXTURE_TAR     rootfs tar from rootfs-fixtures/busybox-tar.sh (default: built
#                   into the private temp dir with that script)
#
# Everything podman, conmon and the runtime write goes into one private temp dir
# $T: storage (vfs), runroot, libpod tmpdir, file locks (no /dev/shm/libpod_lock),
# events log, CNI config dir, hooks dir, HOME/XDG dirs, and the runtime's own
# state dir (--root $T/rtstate, added by a tiny shim, see below). The host's
# /etc/containers config is not read (CONTAINERS_CONF etc. point into $T).
#
# Environment:
#   PODMAN_CGROUPS=auto|disabled|enabled  cgroups mode of the basic cases (default
#       auto: "disabled" for runtimes podman accepts that for - crun, krun,
#       berth-runtime - else "enabled" under the private cgroup parent below)
#   PODMAN_LIMITS=1|0   run the resource-limit cases (default 1). They always run
#       with cgroups enabled (podman --cgroup-manager cgroupfs, --cgroups enabled)
#       under the private parent, whatever PODMAN_CGROUPS says.
#   LIMITS_CONFIG=FILE  where to save the config.json podman generated for the
#       memory-limit case (default /tmp/podman-limits-config.json; empty: do not save)
#   CONFIG_SAMPLE=FILE  where to save the config.json podman generated for the
#       main case (default /tmp/podman-config-sample.json; empty: do not save)
#   CALLS_LOG=FILE      save the log of runtime invocations (argv) here too
#   PODMAN_TIMEOUT=SEC  timeout for each podman command (default 60)
#
# Cgroups (enabled mode and the limit cases): podman gets --cgroup-parent $CG_PARENT =
# <this process's own memory cgroup path> + /berth-podman-e2e.XXXXXXXX, i.e. only
# beneath our own cgroup (on a hybrid host the other v1 controllers' own path is
# "/", so it is beneath ours there as well). podman puts conmon in
# $CG_PARENT/conmon and gives the runtime cgroupsPath $CG_PARENT/libpod-<id>. No
# control file of a hierarchy root is written and no process is moved by this
# script; at the end every directory under $CG_PARENT, and every ancestor of it
# that did not exist before (e.g. pids:/<our memory path>), is rmdir'ed
# (depth-first) in every cgroup hierarchy.
#
# Output: PASS:/FAIL: lines, then "N passed, N failed". Exit 1 on any failure.
set -euo pipefail

usage() { echo "usage: $0 RUNTIME_BINARY [FIXTURE_TAR]" >&2; exit 2; }
[[ $# -eq 1 || $# -eq 2 ]] || usage
RUNTIME=$(readlink -f -- "$1") || usage
FIXTURE_TAR=
if [[ $# -eq 2 ]]; then FIXTURE_TAR=$(readlink -f -- "$2") || usage; fi
[[ -x $RUNTIME && -f $RUNTIME ]] || { echo "runtime $1 is not an executable file" >&2; exit 2; }
[[ -z $FIXTURE_TAR || -f $FIXTURE_TAR ]] || { echo "fixture tar $2 not found (make it with rootfs-fixtures/busybox-tar.sh)" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "must run as root (rootful podman)" >&2; exit 2; }
for tool in podman conmon timeout python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done

RT_NAME=$(basename -- "$RUNTIME")
PODMAN_TIMEOUT=${PODMAN_TIMEOUT:-60}
CONFIG_SAMPLE=${CONFIG_SAMPLE-/tmp/podman-config-sample.json}
CGROUPS=${PODMAN_CGROUPS:-auto}
LIMITS=${PODMAN_LIMITS:-1}
LIMITS_CONFIG=${LIMITS_CONFIG-/tmp/podman-limits-config.json}
if [[ $CGROUPS == auto ]]; then
    case $RT_NAME in
        crun|krun|berth-runtime) CGROUPS=disabled ;;
        *) CGROUPS=enabled ;;
    esac
fi
[[ $CGROUPS == disabled || $CGROUPS == enabled ]] || { echo "PODMAN_CGROUPS must be auto, disabled or enabled" >&2; exit 2; }
[[ $LIMITS == 0 || $LIMITS == 1 ]] || { echo "PODMAN_LIMITS must be 0 or 1" >&2; exit 2; }

# ---------------------------------------------------------------- cgroup helpers
# Mount points of all cgroup (v1) and cgroup2 filesystems.
cg_hierarchies() {
    awk '{ for (i = 7; i <= NF; i++) if ($i == "-") {
               if ($(i + 1) == "cgroup" || $(i + 1) == "cgroup2") print $5
               break } }' /proc/self/mountinfo
}
# cg_path PID CONTROLLER: PID's cgroup path for a v1 CONTROLLER ("" if none);
# CONTROLLER "" selects the cgroup2 ("0::") line.
cg_path() {
    awk -v c="$2" '{ line = $0; split(line, f, ":")
        n = split(f[2], cs, ","); hit = (c == "" && f[1] == "0" && f[2] == "")
        for (i = 1; i <= n; i++) if (cs[i] == c) hit = 1
        if (hit) { sub(/^[^:]*:[^:]*:/, "", line); print line; exit } }' "/proc/$1/cgroup" 2>/dev/null
}
# cg_v1_mount CONTROLLER: mount point of the v1 hierarchy that has CONTROLLER.
cg_v1_mount() {
    awk -v c="$1" '{ for (i = 7; i <= NF; i++) if ($i == "-") {
               if ($(i + 1) == "cgroup") { n = split($(i + 3), o, ",")
                   for (j = 1; j <= n; j++) if (o[j] == c) { print $5; exit } }
               break } }' /proc/self/mountinfo
}
# cg_knob PID CONTROLLER V1_FILE V2_FILE: host path of PID's CONTROLLER knob.
cg_knob() {
    local path mnt
    path=$(cg_path "$1" "$2")
    if [[ -n $path ]]; then
        mnt=$(cg_v1_mount "$2")
        [[ -n $mnt ]] && echo "$mnt${path%/}/$3"
    else
        path=$(cg_path "$1" "")
        mnt=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' /proc/self/mountinfo)
        [[ -n $path && -n $mnt ]] && echo "$mnt${path%/}/$4"
    fi
    return 0
}

T=$(mktemp -d /tmp/berth-podman-e2e.XXXXXXXX)
# Private cgroup parent, beneath this process's own cgroup: the memory
# controller's path (cgroup2 path on a pure-v2 host), "/" handled.
CG_OWN=$(cg_path $$ memory)
[[ -n $CG_OWN ]] || CG_OWN=$(cg_path $$ "")
[[ -n $CG_OWN ]] || CG_OWN=/
CG_PARENT=${CG_OWN%/}/$(basename -- "$T")
mapfile -t CG_HIERS < <(cg_hierarchies)
# Ancestors of $CG_PARENT that do not exist yet in some hierarchy (podman / the
# runtime create them, e.g. pids:/process_api/<id> when only memory:/ is ours):
# removed again at the end, deepest first. Recorded shallow-first per hierarchy.
CG_NEW_ANCESTORS=()
for h in "${CG_HIERS[@]}"; do
    [[ -e $h$CG_PARENT ]] && { rmdir -- "$T"; echo "cgroup $h$CG_PARENT exists already" >&2; exit 2; }
    a=
    IFS=/ read -ra comps <<<"${CG_OWN#/}"
    for c in "${comps[@]}"; do
        [[ -n $c ]] || continue
        a=$a/$c
        [[ -d $h$a ]] || CG_NEW_ANCESTORS+=("$h$a")
    done
done
unset h a c comps

# rmdir every directory under $CG_PARENT in every hierarchy (depth-first), then the
# ancestors we caused. A cgroup that still has a process (e.g. the `podman
# container cleanup` conmon runs on exit) cannot be removed: retry for up to
# ~10 s. Nothing is killed or moved here.
cg_cleanup() {
    local h i left
    for ((i = 0; i < 50; i++)); do
        left=0
        for h in "${CG_HIERS[@]}"; do
            [[ -d $h$CG_PARENT ]] || continue
            find "$h$CG_PARENT" -depth -type d -exec rmdir {} \; 2>/dev/null || true
            [[ -d $h$CG_PARENT ]] && left=1
        done
        [[ $left -eq 0 ]] && break
        sleep 0.2
    done
    for ((i = ${#CG_NEW_ANCESTORS[@]} - 1; i >= 0; i--)); do
        [[ -d ${CG_NEW_ANCESTORS[i]} ]] && { rmdir -- "${CG_NEW_ANCESTORS[i]}" 2>/dev/null || true; }
    done
    return 0
}
# What cg_cleanup could not remove: dirs of $CG_PARENT, and ancestors we caused
# unless something else (another user's cgroup) now lives in them.
cg_leftovers() {
    local h a
    for h in "${CG_HIERS[@]}"; do
        [[ -d $h$CG_PARENT ]] && { find "$h$CG_PARENT" -type d 2>/dev/null || true; }
    done
    for a in "${CG_NEW_ANCESTORS[@]}"; do
        [[ -d $a && -z $(find "$a" -mindepth 1 -maxdepth 1 -type d -print -quit) ]] && echo "$a"
    done
    return 0
}

VARLIB_EXISTED=0; [[ -e /var/lib/containers ]] && VARLIB_EXISTED=1
CONMON_PIDS=()
P=()              # the podman command line, set once the private config exists

# ---------------------------------------------------------------- cleanup
remember_conmons() {
    local f pid
    for f in "$T"/run/*-containers/*/userdata/conmon.pid; do
        [[ -f $f ]] || continue
        pid=$(cat "$f" 2>/dev/null) || continue
        [[ $pid =~ ^[0-9]+$ ]] && CONMON_PIDS+=("$pid")
    done
    return 0
}

cleanup() {
    local rc=$?
    set +eu
    # finish the cleanup even if interrupted again (every step is time-bounded)
    trap - EXIT
    trap ':' INT TERM HUP
    if [[ -d $T ]]; then
        remember_conmons
        if [[ ${#P[@]} -gt 0 ]]; then
            timeout -k 5 60 "${P[@]}" rm -af -t 0 >/dev/null 2>&1
            remember_conmons
            timeout -k 5 60 "${P[@]}" system reset -f >/dev/null 2>&1
        fi
        # conmon processes of THIS test only: pids from podman's own pid files,
        # double-checked against their command line (which names $T).
        local pid
        for pid in "${CONMON_PIDS[@]}"; do
            if [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$T/"; then
                kill -KILL "$pid" 2>/dev/null
            fi
        done
        # containers the runtime still knows about in our private state dir
        local d
        for d in "$T"/rtstate/*/; do
            [[ -d $d ]] || continue
            timeout -k 5 20 "$RUNTIME" --root "$T/rtstate" delete --force "$(basename -- "$d")" >/dev/null 2>&1
        done
        # any mount left under $T (e.g. a container's /dev/shm tmpfs), deepest first
        local m
        awk -v t="$T/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
            while read -r m; do umount -l -- "$m" 2>/dev/null; done
        rm -rf -- "$T"
    fi
    # our private cgroup parent (and ancestors we caused), in every hierarchy
    cg_cleanup
    # c/image always writes its blob-info cache to /var/lib/containers/cache as
    # root (no knob for it in podman 4.3). Remove it if this test created it.
    if [[ $VARLIB_EXISTED -eq 0 && -d /var/lib/containers ]]; then
        if [[ -z $(find /var/lib/containers -mindepth 1 ! -path /var/lib/containers/cache \
                       ! -path '/var/lib/containers/cache/blob-info-cache-v1.boltdb' | head -1) ]]; then
            rm -rf /var/lib/containers
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [[ -z $FIXTURE_TAR ]]; then
    FIXTURE_TAR=$T/busybox.tar
    bash "$(dirname -- "$(readlink -f -- "$0")")/../../rootfs-fixtures/busybox-tar.sh" "$FIXTURE_TAR" 2>/dev/null \
        || { echo "FAIL: building the busybox fixture tar" >&2; exit 1; }
fi

# ---------------------------------------------------------------- private setup
mkdir -p "$T"/{storage,run,tmp,net,hooks,imgtmp,rtstate,home,xdg-config,xdg-data,shim}
chmod 0700 "$T"

# Shim with the runtime's own basename (podman keys runtime_supports_json /
# runtime_supports_nocgroups on that name). It only adds --root so the runtime's
# state goes to $T/rtstate: podman's --runtime-flag would do that for podman's
# own calls but is NOT passed on to the `podman container cleanup` process that
# conmon runs on exit, whose `delete --force` would then hit /run/<runtime>.
SHIM=$T/shim/$RT_NAME
cat > "$SHIM" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >> '$T/runtime-calls.log'
exec '$RUNTIME' --root '$T/rtstate' "\$@"
EOF
chmod 0755 "$SHIM"

cat > "$T/containers.conf" <<EOF
[containers]
[network]
network_backend = "cni"
network_config_dir = "$T/net"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$T/tmp/events.log"
tmp_dir = "$T/tmp"
lock_type = "file"
num_locks = 64
image_copy_tmp_dir = "$T/imgtmp"
volume_path = "$T/storage/volumes"
hooks_dir = ["$T/hooks"]
runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "berth-runtime"]
# c/common 0.50 (podman 4.3) spells this key in the singular, although
# containers.conf(5) says "runtime_supports_nocgroups" (that one is ignored).
runtime_supports_nocgroup = ["crun", "krun", "berth-runtime"]
EOF
cat > "$T/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$T/storage"
runroot = "$T/run"
EOF
: > "$T/registries.conf"

export CONTAINERS_CONF=$T/containers.conf
export CONTAINERS_STORAGE_CONF=$T/storage.conf
export CONTAINERS_REGISTRIES_CONF=$T/registries.conf
export TMPDIR=$T/imgtmp HOME=$T/home XDG_CONFIG_HOME=$T/xdg-config XDG_DATA_HOME=$T/xdg-data
unset XDG_RUNTIME_DIR CONTAINER_HOST CONTAINER_CONNECTION 2>/dev/null || true

P=(podman --root "$T/storage" --runroot "$T/run" --tmpdir "$T/tmp"
   --storage-driver vfs --cgroup-manager cgroupfs --events-backend file
   --network-config-dir "$T/net" --hooks-dir "$T/hooks" --runtime "$SHIM")
pm() { timeout "$PODMAN_TIMEOUT" "${P[@]}" "$@"; }
# capture stdout+stderr (NUL bytes from a broken runtime dropped); keeps pm's rc (pipefail)
cap() { pm "$@" 2>&1 | tr -d '\000'; }

BASE_FLAGS=(--pull never --security-opt seccomp=unconfined
            --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 --network none)
RUN_FLAGS=("${BASE_FLAGS[@]}")
if [[ $CGROUPS == disabled ]]; then
    RUN_FLAGS+=(--cgroups disabled)
else
    RUN_FLAGS+=(--cgroup-parent "$CG_PARENT")
fi
# the resource-limit cases: always with cgroups, whatever PODMAN_CGROUPS says
LIMIT_FLAGS=("${BASE_FLAGS[@]}" --cgroups enabled --cgroup-parent "$CG_PARENT")
IMG=berth-busybox

# ---------------------------------------------------------------- test helpers
PASSED=0; FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "PASS: $1"; }
fail() {
    FAILED=$((FAILED + 1)); echo "FAIL: $1"
    [[ -n ${2:-} ]] && printf '%s\n' "$2" | sed 's/^/    | /'
    return 0
}
has_line() { grep -qxF -- "$2" <<<"$1"; }

echo "# runtime: $RUNTIME (name $RT_NAME), cgroups: $CGROUPS, podman: $(podman --version)"
echo "# private dir: $T, cgroup parent (enabled mode, limit cases): $CG_PARENT"

# 1. import
if out=$(cap import "$FIXTURE_TAR" "$IMG") && pm image exists "$IMG"; then
    pass "podman import $IMG"
else
    fail "podman import $IMG" "$out"
    exit 1
fi

MAIN_SCRIPT='hostname; echo pid=$$; id -u'

# 2. the main case, podman run --rm
rc=0; out=$(cap run --rm "${RUN_FLAGS[@]}" --hostname podtest "$IMG" /bin/sh -c "$MAIN_SCRIPT") || rc=$?
if [[ $rc -eq 0 ]] && has_line "$out" podtest && has_line "$out" pid=1 && has_line "$out" 0; then
    pass "run --rm: hostname podtest, pid 1, uid 0"
else
    fail "run --rm: hostname podtest, pid 1, uid 0 (rc=$rc)" "$out"
fi

# 3. same flags via create + start -a; save the generated config.json
rc=0; out=$(cap create --name cfgsample "${RUN_FLAGS[@]}" --hostname podtest "$IMG" /bin/sh -c "$MAIN_SCRIPT") || rc=$?
if [[ $rc -eq 0 ]]; then
    cid=$(pm inspect --format '{{.Id}}' cfgsample)
    # podman writes config.json at init time (init = runtime `create`), so the
    # copy taken between init and start is exactly what the runtime received.
    rc=0; iout=$(cap init cfgsample) || rc=$?
    cfg=$(ls "$T"/storage/*-containers/"$cid"/userdata/config.json 2>/dev/null | head -1 || true)
    if [[ $rc -eq 0 && -n $cfg ]]; then
        [[ -n $CONFIG_SAMPLE ]] && python3 -m json.tool "$cfg" > "$CONFIG_SAMPLE"
        rc=0; out=$(cap start -a cfgsample) || rc=$?
        if [[ $rc -eq 0 ]] && has_line "$out" podtest && has_line "$out" pid=1 && has_line "$out" 0; then
            pass "create + init + start -a${CONFIG_SAMPLE:+ (config.json saved to $CONFIG_SAMPLE)}"
        else
            fail "create + init + start -a (rc=$rc)" "$out"
        fi
    else
        fail "podman init (runtime create) rc=$rc" "$iout"
    fi
    pm rm -f cfgsample >/dev/null 2>&1 || true
else
    fail "podman create" "$out"
fi

# 4. non-root user from the image's /etc/passwd and /etc/group
rc=0; out=$(cap run --rm "${RUN_FLAGS[@]}" -u 1000 "$IMG" /bin/sh -c 'id -u; id -g; id -G') || rc=$?
if [[ $rc -eq 0 ]] && [[ $(sed -n 1p <<<"$out") == 1000 ]]; then
    pass "run -u 1000: id -u = 1000"
else
    fail "run -u 1000: id -u = 1000 (rc=$rc)" "$out"
fi
if [[ $rc -eq 0 ]] && [[ $(sed -n 2p <<<"$out") == 1000 ]] && grep -qw 2000 <<<"$(sed -n 3p <<<"$out")"; then
    pass "run -u 1000: gid 1000, supplementary group 2000 (extra)"
else
    fail "run -u 1000: gid 1000, supplementary group 2000 (extra)" "$out"
fi

# 5. exit code propagation
rc=0; out=$(cap run --rm "${RUN_FLAGS[@]}" "$IMG" /bin/sh -c 'exit 7') || rc=$?
if [[ $rc -eq 7 ]]; then pass "run sh -c 'exit 7' -> podman exit 7"; else fail "run sh -c 'exit 7' -> podman exit 7 (got $rc)" "$out"; fi

# 5b. podman's own default seccomp profile: the same flags minus `--security-opt seccomp=unconfined`
PROFILE_FLAGS=()
for ((i = 0; i < ${#RUN_FLAGS[@]}; i++)); do
    if [[ ${RUN_FLAGS[i]} == --security-opt && ${RUN_FLAGS[i + 1]:-} == seccomp=unconfined ]]; then
        i=$((i + 1)); continue
    fi
    PROFILE_FLAGS+=("${RUN_FLAGS[i]}")
done
rc=0; out=$(cap run --rm "${PROFILE_FLAGS[@]}" "$IMG" /bin/sh -c 'echo ok; grep "^Seccomp:" /proc/self/status') || rc=$?
if [[ $rc -eq 0 ]] && has_line "$out" ok && has_line "$out" "$(printf 'Seccomp:\t2')"; then
    pass "run with podman's default seccomp profile: ok, Seccomp: 2"
else
    fail "run with podman's default seccomp profile: ok, Seccomp: 2 (rc=$rc)" "$out"
fi

# 6. detached container: ps, stop, rm
rc=0; out=$(cap run -d --name berth-detached "${RUN_FLAGS[@]}" "$IMG" sleep 100) || rc=$?
remember_conmons
if [[ $rc -eq 0 ]]; then
    pass "run -d sleep 100"
    st=$(pm ps --format '{{.Names}} {{.Status}}' 2>&1 || true)
    ist=$(pm inspect --format '{{.State.Status}}' berth-detached 2>&1 || true)
    if grep -q '^berth-detached Up' <<<"$st" && [[ $ist == running ]]; then
        pass "podman ps shows it Up (inspect: running)"
    else
        fail "podman ps shows it Up (inspect: $ist)" "$st"
    fi
    rc=0; out=$(cap stop -t 1 berth-detached) || rc=$?
    st=$(pm inspect --format '{{.State.Status}}' berth-detached 2>&1 || true)
    if [[ $rc -eq 0 && $st == exited ]]; then pass "podman stop -t 1 (state exited)"; else fail "podman stop -t 1 (rc=$rc, state $st)" "$out"; fi
    rc=0; out=$(cap rm berth-detached) || rc=$?
    if [[ $rc -eq 0 ]] && ! pm container exists berth-detached; then pass "podman rm"; else fail "podman rm (rc=$rc)" "$out"; fi
else
    fail "run -d sleep 100" "$out"
fi

# 7. resource limits, cgroups enabled (cgroupfs) under $CG_PARENT: enforced, and
#    visible from the host. The container writes into its /dev/shm tmpfs (raised
#    to 256m so the tmpfs size is not what stops it): shmem pages are charged to
#    the writer's memory cgroup and cannot be reclaimed without swap, so at 64m
#    the memory cgroup's OOM killer must kill dd (seen so far: dd gets SIGKILL,
#    the shell goes on and exits 0) or the shell (podman exit 137), or the write
#    fails; the 128 MiB must never be fully written. A 16 MiB write first shows
#    that the tmpfs itself works.
OOM_SCRIPT='dd if=/dev/zero of=/dev/shm/small bs=1M count=16 2>/dev/null && echo small-ok; rm -f /dev/shm/small
dd if=/dev/zero of=/dev/shm/big bs=1M count=128; echo "dd exit $?"; echo done'
# oom_case SWAP LABEL: run --rm --memory 64m --memory-swap SWAP, expect the OOM kill
oom_case() {
    local swap=$1 label=$2 rc=0 out ddrc
    out=$(cap run --rm "${LIMIT_FLAGS[@]}" --memory 64m --memory-swap "$swap" --shm-size 256m \
          "$IMG" sh -c "$OOM_SCRIPT") || rc=$?
    ddrc=$(sed -n 's/^dd exit \([0-9]*\)$/\1/p' <<<"$out")
    if has_line "$out" small-ok && ! grep -q '^128+0 records out' <<<"$out" &&
       ! grep -qi 'no space left' <<<"$out" &&
       { [[ $rc -eq 137 ]] || [[ $rc -eq 0 && -n $ddrc && $ddrc -ne 0 ]]; }; then
        pass "$label: 128 MiB into /dev/shm stopped by the 64m limit (podman rc=$rc, dd rc=${ddrc:-none})"
    else
        fail "$label: 128 MiB into /dev/shm stopped by the 64m limit (podman rc=$rc, dd rc=${ddrc:-none})" "$out"
    fi
}
# limits_visible LABEL FLAGS...: run -d with FLAGS, read the limits of the
# container's own cgroup from the host (pid from podman inspect -> /proc/PID/cgroup)
limits_visible() {
    local label=$1 rc=0 out pid mem_path pids_path mem pids where ok=1; shift
    pm rm -f berth-limits >/dev/null 2>&1 || true
    out=$(cap run -d --name berth-limits "${LIMIT_FLAGS[@]}" "$@" "$IMG" sleep 100) || rc=$?
    remember_conmons
    if [[ $rc -ne 0 ]]; then
        fail "$label: run -d $* sleep 100" "$out"
        pm rm -f berth-limits >/dev/null 2>&1 || true
        return 0
    fi
    pid=$(pm inspect -f '{{.State.Pid}}' berth-limits 2>&1 || true)
    if ! [[ $pid =~ ^[1-9][0-9]*$ ]]; then
        fail "$label: podman inspect .State.Pid" "$pid"
    else
        mem_path=$(cg_knob "$pid" memory memory.limit_in_bytes memory.max)
        pids_path=$(cg_knob "$pid" pids pids.max pids.max)
        mem=$(cat -- "$mem_path" 2>&1 || true)
        pids=$(cat -- "$pids_path" 2>&1 || true)
        where="memory: $mem_path = $mem"$'\n'"pids: $pids_path = $pids"$'\n'"/proc/$pid/cgroup:"$'\n'"$(cat "/proc/$pid/cgroup" 2>&1)"
        # the container's cgroups must be beneath our private parent
        local c p
        for c in memory pids; do
            p=$(cg_path "$pid" "$c")
            [[ -n $p ]] || p=$(cg_path "$pid" "")
            [[ $p == "$CG_PARENT"/* ]] || ok=0
        done
        if [[ $ok -eq 1 ]]; then
            pass "$label: container cgroup is beneath $CG_PARENT"
        else
            fail "$label: container cgroup is beneath $CG_PARENT" "$where"
        fi
        if [[ $mem == 67108864 && $pids == 10 ]]; then
            pass "$label: host sees memory limit 67108864 and pids.max 10"
        else
            fail "$label: host sees memory limit 67108864 and pids.max 10" "$where"
        fi
    fi
    rc=0; out=$(cap rm -f -t 0 berth-limits) || rc=$?
    [[ $rc -eq 0 ]] || fail "$label: podman rm -f" "$out"
}

if [[ $LIMITS -eq 0 ]]; then
    echo "# resource-limit cases skipped (PODMAN_LIMITS=0)"
else
    # config.json podman generates for the memory case (init = runtime `create`;
    # saved whether or not the runtime accepts it)
    if [[ -n $LIMITS_CONFIG ]]; then
        rc=0; out=$(cap create --name berth-limits-cfg "${LIMIT_FLAGS[@]}" --memory 64m --memory-swap 64m \
                    --shm-size 256m "$IMG" true) || rc=$?
        if [[ $rc -eq 0 ]]; then
            cid=$(pm inspect --format '{{.Id}}' berth-limits-cfg)
            rc=0; iout=$(cap init berth-limits-cfg) || rc=$?
            cfg=$(ls "$T"/storage/*-containers/"$cid"/userdata/config.json 2>/dev/null | head -1 || true)
            if [[ -n $cfg ]]; then
                python3 -m json.tool "$cfg" > "$LIMITS_CONFIG"
                if [[ $rc -eq 0 ]]; then
                    echo "# config.json of the memory case saved to $LIMITS_CONFIG (runtime create accepted it)"
                else
                    echo "# config.json of the memory case saved to $LIMITS_CONFIG; runtime create refused it: ${iout//$'\n'/ }"
                fi
            fi
            pm rm -f -t 0 berth-limits-cfg >/dev/null 2>&1 || true
        else
            echo "# could not save the config.json of the memory case: podman create failed: ${out//$'\n'/ }"
        fi
    fi

    # 7a. memory: --memory 64m --memory-swap 64m (no swap beyond the limit)
    oom_case 64m "run --rm --memory 64m --memory-swap 64m"
    # 7b. the same limit with --memory-swap -1 (podman then sets no swap limit, the
    #     runtime writes only memory.limit_in_bytes): only meaningful without swap
    if [[ -z $(awk 'NR > 1' /proc/swaps 2>/dev/null) ]]; then
        oom_case -1 "run --rm --memory 64m --memory-swap -1 (host has no swap)"
    else
        echo "# skipped --memory-swap -1 OOM case: the host has swap"
    fi

    # 7c. pids: 30 background sleeps under --pids-limit 10 -> fork fails
    rc=0; out=$(pm run --rm "${LIMIT_FLAGS[@]}" --pids-limit 10 "$IMG" \
                sh -c 'for i in $(seq 30); do sleep 5 & done; echo started' 2>"$T/pids.err" | tr -d '\000') || rc=$?
    err=$(tr -d '\000' < "$T/pids.err")
    if grep -q "can't fork" <<<"$err"; then
        pass "run --rm --pids-limit 10: 30 x 'sleep &' -> \"can't fork\" on stderr (rc=$rc)"
    else
        fail "run --rm --pids-limit 10: 30 x 'sleep &' -> \"can't fork\" on stderr (rc=$rc)" "stdout: $out"$'\n'"stderr: $err"
    fi

    # 7d. the limits as the host sees them, with podman's default swap (2 x memory)
    #     and with --memory-swap -1
    limits_visible "run -d --memory 64m --pids-limit 10" --memory 64m --pids-limit 10
    limits_visible "run -d --memory 64m --memory-swap -1 --pids-limit 10" --memory 64m --memory-swap -1 --pids-limit 10
fi

# 8. after --rm / rm the runtime must have deleted every container's state
#    (berth-runtime keeps compiled seccomp filters in <root>/.seccomp-cache: that
#    is a runtime-wide cache, not a container's state)
sleep 0.2
left=$(ls -A "$T/rtstate" 2>/dev/null | grep -vxF .seccomp-cache || true)
if [[ -z $left ]]; then pass "runtime state dir empty after rm"; else fail "runtime state dir empty after rm" "$left"; fi

# 9. no cgroup of this test left once every container is gone (cleanup runs
#    again on exit; it is idempotent)
cg_cleanup
left=$(cg_leftovers)
if [[ -z $left ]]; then
    pass "no cgroup left under $CG_PARENT (nor ancestors it caused) in any hierarchy"
else
    fail "no cgroup left under $CG_PARENT (nor ancestors it caused) in any hierarchy" "$left"
fi

[[ -n ${CALLS_LOG:-} ]] && sed "s#$T#\$T#g" "$T/runtime-calls.log" > "$CALLS_LOG"
if [[ $FAILED -gt 0 ]]; then
    echo "# runtime invocations (\$T = $T):"
    sed "s#$T#\$T#g; s/^/#   /" "$T/runtime-calls.log" 2>/dev/null || true
fi
echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
