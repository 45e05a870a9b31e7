#!/usr/bin/env bash
# run_latency.sh [N] [--network none|default] [--markdown FILE]
#
# Container start-to-exit latency of the Docker-like front ends: N sequential
#   berth run --rm --network none IMAGE true
#   podman run --rm --runtime crun --network none IMAGE true
# on the same busybox image (rootfs-fixtures/oci-image.sh, loaded into each tool's private
# store), interleaved per round (the order alternates, so neither always goes first), one
# warm-up run each not counted. Reports medians, means and the berth/podman ratio.
#
#   N              runs per tool (default 20)
#   --network M    none (default): no network on either side; default: each tool's default
#                  bridge network (berth's "bridge", podman's netavark "podman" network), so
#                  every run also creates and removes its network endpoint
#   --markdown F   append the table, the exact commands, date and machine to F
#
# Environment: BERTH (default <repo>/build/bin/berth), CRUN (default from PATH).
#
# Fairness: both run in one private mount namespace (`unshare -m --propagation private`)
# where /sys/fs/cgroup/unified is lazily unmounted (crun 1.8.1 refuses a hybrid host) with an
# empty private tmpfs in its place, so both see a pure cgroup v1 host; both with default
# security (berth: the runtime's default capabilities, masked paths and seccomp profile;
# podman: its defaults), no network on either side (--network none for both: their default
# is a bridge network, berth's "bridge" and podman's netavark one, which bench/netsetup.sh
# measures),
# podman with the ulimits this host needs and overlay storage, berth with its overlay store.
# Everything (stores, run roots, podman's config and tmp) lives in one temp dir that is
# removed at the end; leftovers are force-removed.
set -euo pipefail
export LC_ALL=C

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
SELF=$HERE/$(basename -- "${BASH_SOURCE[0]}")
REPO=$(cd -- "$HERE/.." && pwd)
ARGS=("$@")
N=20
MARKDOWN=
NETWORK=none
while [[ $# -gt 0 ]]; do
    case $1 in
        --network) NETWORK=$2; shift 2
                   [[ $NETWORK == none || $NETWORK == default ]] || { echo "bad --network: $NETWORK" >&2; exit 2; } ;;
        --markdown) MARKDOWN=$2; shift 2 ;;
        -h|--help) sed -n '2,28p' "$SELF" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) [[ $1 =~ ^[0-9]+$ && $1 -gt 0 ]] || { echo "bad argument: $1" >&2; exit 2; }; N=$1; shift ;;
    esac
done
[[ $(id -u) -eq 0 ]] || { echo "must run as root" >&2; exit 2; }
for tool in podman unshare mountpoint python3; do
    command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
done

if [[ -z ${_RUN_LATENCY_INNER:-} ]]; then
    [[ -n $MARKDOWN ]] && MARKDOWN=$(realpath -m -- "$MARKDOWN")
    _RUN_LATENCY_INNER=1 _RUN_LATENCY_MD=$MARKDOWN _RUN_LATENCY_CMD="$0${ARGS[*]:+ ${ARGS[*]}}" \
        exec unshare -m --propagation private -- bash "$SELF" "${ARGS[@]}"
fi
MARKDOWN=$_RUN_LATENCY_MD
ORIG_CMD=$_RUN_LATENCY_CMD
unset _RUN_LATENCY_INNER _RUN_LATENCY_MD _RUN_LATENCY_CMD

if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
    umount -l /sys/fs/cgroup/unified
    mount -t tmpfs -o mode=755,nosuid,nodev,noexec run-latency-unified /sys/fs/cgroup/unified
fi

BERTH=$(readlink -f -- "${BERTH:-$REPO/build/bin/berth}")
CRUN=${CRUN:-$(command -v crun)}
[[ -x $BERTH ]] || { echo "berth not found at $BERTH (build it or set BERTH)" >&2; exit 2; }
W=$(mktemp -d /tmp/berth-run-latency.XXXXXXXX)
B=("$BERTH" --root "$W/berth" --runroot "$W/berth-run")
T=$W/podman
mkdir -p "$T"/{storage,run,tmp,imgtmp,home,net}
cat > "$T/containers.conf" <<EOF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$T/tmp/events.log"
tmp_dir = "$T/tmp"
lock_type = "file"
num_locks = 64
image_copy_tmp_dir = "$T/imgtmp"
[network]
network_config_dir = "$T/net"
EOF
cat > "$T/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$T/storage"
runroot = "$T/run"
EOF
: > "$T/registries.conf"
export CONTAINERS_CONF=$T/containers.conf CONTAINERS_STORAGE_CONF=$T/storage.conf
export CONTAINERS_REGISTRIES_CONF=$T/registries.conf TMPDIR=$T/imgtmp HOME=$T/home
P=(podman --root "$T/storage" --runroot "$T/run" --tmpdir "$T/tmp" --storage-driver overlay
   --cgroup-manager cgroupfs --events-backend file)
NET_FLAGS=()
if [[ $NETWORK == none ]]; then NET_FLAGS=(--network none); fi
PODMAN_RUN=(run --rm --runtime "$CRUN" "${NET_FLAGS[@]}" --pull never
            --ulimit nofile=20000:20000 --ulimit nproc=32768:32768)

# shellcheck source=../tests/support/network_cleanup.sh
source "$REPO/tests/support/network_cleanup.sh"
PODMAN_BRIDGE_BEFORE=$(ip -o link show podman0 2>/dev/null | wc -l || true)
cleanup() {
    set +e
    for id in $("${B[@]}" ps -aq 2>/dev/null); do "${B[@]}" rm -f "$id" >/dev/null 2>&1; done
    # The default network's bridge, nft table and berth-dns of this private store.
    berth_network_cleanup "$(dirname -- "$BERTH")" "$W/berth" "$W/berth-run"
    "${P[@]}" rm -af >/dev/null 2>&1
    "${P[@]}" system reset -f >/dev/null 2>&1
    # netavark's bridge for --network default, when this run made it.
    if [[ $PODMAN_BRIDGE_BEFORE == 0 ]]; then ip link del podman0 2>/dev/null; fi
    grep -F " $W/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null
    done
    rm -rf -- "$W"
}
trap cleanup EXIT

IMG=berth-fixtures/busybox:1
bash "$REPO/rootfs-fixtures/oci-image.sh" busybox "$W/image" >/dev/null
bash "$REPO/rootfs-fixtures/oci-image.sh" busybox "$W/image.tar" >/dev/null
"${B[@]}" image load --input "$W/image" >/dev/null
"${P[@]}" load -q -i "$W/image.tar" >/dev/null
"${P[@]}" tag "$(${P[@]} images -q | head -1)" "localhost/$IMG" >/dev/null 2>&1 || true
PIMG=$("${P[@]}" images --format '{{.Repository}}:{{.Tag}}' | grep busybox | head -1)

declare -a T_BERTH T_PODMAN
timed() {  # array-name, command...
    local -n out=$1
    shift
    local t0 t1
    t0=$EPOCHREALTIME
    "$@" </dev/null >/dev/null 2>"$W/last.err" || { echo "failed: $* : $(head -c 300 "$W/last.err")" >&2; exit 1; }
    t1=$EPOCHREALTIME
    out+=($(( ${t1/./} - ${t0/./} )))
}
berth_once() { timed T_BERTH "${B[@]}" run --rm "${NET_FLAGS[@]}" "$IMG" true; }
podman_once() { timed T_PODMAN "${P[@]}" "${PODMAN_RUN[@]}" "$PIMG" true; }

berth_once; podman_once          # warm-up: caches, first-use setup
T_BERTH=(); T_PODMAN=()
sync
for ((i = 0; i < N; i++)); do
    if ((i % 2 == 0)); then berth_once; podman_once; else podman_once; berth_once; fi
done

stats() { printf '%s\n' "$@" | python3 -c '
import statistics, sys
v = [int(x) / 1000 for x in sys.stdin.read().split()]
print("%.1f %.1f %.1f %.1f" % (statistics.median(v), statistics.mean(v), min(v), max(v)))'; }
read -r BMED BMEAN BMIN BMAX <<<"$(stats "${T_BERTH[@]}")"
read -r PMED PMEAN PMIN PMAX <<<"$(stats "${T_PODMAN[@]}")"
RATIO=$(python3 -c "print('%.2f' % ($BMED / $PMED))")
TABLE="| tool | median ms | mean ms | min ms | max ms |
|---|---|---|---|---|
| berth run --rm ${NET_FLAGS[*]:-(default network)} | $BMED | $BMEAN | $BMIN | $BMAX |
| podman run --rm --runtime crun ${NET_FLAGS[*]:-(default network)} | $PMED | $PMEAN | $PMIN | $PMAX |

berth / podman (medians): **${RATIO}x** (target: at most 0.5x)"
echo "$TABLE"
if [[ -n $MARKDOWN ]]; then
    {
        echo
        echo "## berth run vs podman run ($(date -u +%Y-%m-%dT%H:%MZ))"
        echo
        echo "$N sequential runs each of /bin/true in the busybox fixture image, interleaved, one warm-up each;"
        echo "both in one private mount namespace with /sys/fs/cgroup/unified unmounted (pure cgroup v1 view)."
        echo "Machine: $(nproc) CPUs, $(uname -r), load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
        echo
        echo "$TABLE"
        echo
        echo "Command: \`$ORIG_CMD\`; each timed run is"
        echo "\`berth --root R --runroot RR run --rm ${NET_FLAGS[*]} $IMG true\` and"
        echo "\`podman --root S --runroot SR --storage-driver overlay --cgroup-manager cgroupfs --events-backend file ${PODMAN_RUN[*]/#$CRUN/crun} $PIMG true\`"
        echo "(podman $(podman --version | awk '{print $3}'), crun $("$CRUN" --version | head -1 | awk '{print $3}'))."
    } >> "$MARKDOWN"
fi
