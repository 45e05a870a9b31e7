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
#   PODMAN_CGROUPS=auto|disabled|enabled  (default auto: "disabled" for runtimes
#       podman accepts that for - crun, krun, berth-runtime - else "enabled" under
#       a private cgroup parent /berth-podman-e2e-XXXX that is removed afterwards)
#   CONFIG_SAMPLE=FILE  where to save the config.json podman generated for the
#       main case (default /tmp/podman-config-sample.json; empty: do not save)
#   CALLS_LOG=FILE      save the log of runtime invocations (argv) here too
#   PODMAN_TIMEOUT=SEC  timeout for each podman command (default 60)
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
if [[ $CGROUPS == auto ]]; then
    case $RT_NAME in
        crun|krun|berth-runtime) CGROUPS=disabled ;;
        *) CGROUPS=enabled ;;
    esac
fi
[[ $CGROUPS == disabled || $CGROUPS == enabled ]] || { echo "PODMAN_CGROUPS must be auto, disabled or enabled" >&2; exit 2; }

T=$(mktemp -d /tmp/berth-podman-e2e.XXXXXXXX)
CG_PARENT=/$(basename -- "$T")          # unique, only used with cgroups enabled
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
    trap - EXIT INT TERM
    if [[ -d $T ]]; then
        remember_conmons
        if [[ ${#P[@]} -gt 0 ]]; then
            timeout 60 "${P[@]}" rm -af -t 0 >/dev/null 2>&1
            remember_conmons
            timeout 60 "${P[@]}" system reset -f >/dev/null 2>&1
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
            timeout 20 "$RUNTIME" --root "$T/rtstate" delete --force "$(basename -- "$d")" >/dev/null 2>&1
        done
        # any mount left under $T (e.g. a container's /dev/shm tmpfs), deepest first
        local m
        awk -v t="$T/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
            while read -r m; do umount -l -- "$m" 2>/dev/null; done
        rm -rf -- "$T"
    fi
    # our private cgroup parent (cgroups enabled mode), in every hierarchy
    local h
    for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
        [[ -d $h$CG_PARENT ]] || continue
        find "$h$CG_PARENT" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
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

RUN_FLAGS=(--pull never --security-opt seccomp=unconfined
           --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 --network none)
if [[ $CGROUPS == disabled ]]; then
    RUN_FLAGS+=(--cgroups disabled)
else
    RUN_FLAGS+=(--cgroup-parent "$CG_PARENT")
fi
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
echo "# private dir: $T"

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

# 7. after --rm / rm the runtime must have deleted every container's state
sleep 0.2
left=$(ls -A "$T/rtstate" 2>/dev/null || true)
if [[ -z $left ]]; then pass "runtime state dir empty after rm"; else fail "runtime state dir empty after rm" "$left"; fi

[[ -n ${CALLS_LOG:-} ]] && sed "s#$T#\$T#g" "$T/runtime-calls.log" > "$CALLS_LOG"
if [[ $FAILED -gt 0 ]]; then
    echo "# runtime invocations (\$T = $T):"
    sed "s#$T#\$T#g; s/^/#   /" "$T/runtime-calls.log" 2>/dev/null || true
fi
echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
