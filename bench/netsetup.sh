#!/usr/bin/env bash
# netsetup.sh [N] [--markdown FILE]
#
# Time to put a container on a network (netns + veth + address + route + DNS record) and take
# it off again, berth vs podman with netavark, on the same host in the same run:
#   berth:  median(`berth run --rm --network benchnet IMG true`) - median(same with --network none)
#   podman: median(`podman run --rm --network bridge IMG true`)  - median(same with --network none)
# N rounds (default 20), A/B alternated per round, one warm-up each. A "keeper" container
# stays on benchnet so berth-dns is running (podman's default network has no DNS server). Plus berth's own split
# (bench/netattach: attach and release through the library, no container).
#
# Everything runs in a private network and mount namespace (unshare -n -m): podman's podman0
# bridge, netavark's firewall rules and berth's bridge, nft table and DNS daemon live and die
# there; the host's network is not touched. Podman gets private storage (vfs) and
# --cgroups=disabled (crun refuses this hybrid cgroup host; no cgroup is created), so the
# podman number is podman + conmon + crun; berth's includes its monitor and berth-runtime.
set -euo pipefail

N=20
MARKDOWN=
while (($#)); do
    case $1 in
        --markdown) MARKDOWN=$2; shift 2 ;;
        *) N=$1; shift ;;
    esac
done
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "$HERE/.." && pwd)
BIN=${BERTH_BIN:-$REPO/build/bin}
[[ $(id -u) -eq 0 ]] || { echo "run as root" >&2; exit 2; }

if [[ ${NETSETUP_INNER:-} != 1 ]]; then
    export NETSETUP_INNER=1
    exec unshare -n -m --propagation private bash "$0" "$N" ${MARKDOWN:+--markdown "$MARKDOWN"}
fi
ip link set lo up
# crun 1.8 refuses hybrid cgroups: hide cgroup2 in this private mount namespace only.
umount -l /sys/fs/cgroup/unified 2>/dev/null || true

T=$(mktemp -d /tmp/berth-netsetup.XXXXXXXX)
B() { "$BIN/berth" --root "$T/berth" --runroot "$T/berth-run" "$@"; }
P=(podman --root "$T/pstorage" --runroot "$T/prun" --tmpdir "$T/ptmp" --storage-driver vfs
   --network-backend netavark --network-config-dir "$T/pnet" --cgroup-manager cgroupfs)
PRUN=(run --rm --cgroups=disabled --ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
cleanup() {
    set +e
    B rm -f keeper >/dev/null 2>&1
    B network rm benchnet >/dev/null 2>&1
    "${P[@]}" rm -af >/dev/null 2>&1
    rm -rf -- "$T"
}
trap cleanup EXIT
export BERTH_DNS_UPSTREAMS=127.0.0.1:9

bash "$REPO/rootfs-fixtures/oci-image.sh" busybox "$T/busybox.tar" >/dev/null 2>&1
B image load -i "$T/busybox.tar" >/dev/null
B network create benchnet >/dev/null
# One long-lived container on the network, as on any host that uses networks: berth-dns is
# already up (it starts with a network's first container and stops with the last).
B run -d --name keeper --network benchnet berth-fixtures/busybox:1 sleep 3600 >/dev/null
bash "$REPO/rootfs-fixtures/busybox-tar.sh" "$T/rootfs.tar" >/dev/null 2>&1
"${P[@]}" import "$T/rootfs.tar" localhost/bench-busybox >/dev/null

now_ms() { date +%s%N; }
time_ms() {  # runs "$@" quietly, prints elapsed milliseconds (3 decimals)
    local s e
    s=$(now_ms)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    e=$(now_ms)
    echo "scale=3; ($e - $s) / 1000000" | bc
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

declare -A R
for kind in berth_net berth_none podman_net podman_none; do R[$kind]=; done
run_berth() { B run --rm --network "$1" berth-fixtures/busybox:1 true; }
run_podman() { "${P[@]}" "${PRUN[@]}" --network "$1" localhost/bench-busybox /bin/true; }
# warm-up
run_berth benchnet >/dev/null; run_berth none >/dev/null
run_podman bridge >/dev/null; run_podman none >/dev/null
for i in $(seq 1 "$N"); do
    R[berth_net]+="$(time_ms run_berth benchnet) "
    R[berth_none]+="$(time_ms run_berth none) "
    R[podman_net]+="$(time_ms run_podman bridge) "
    R[podman_none]+="$(time_ms run_podman none) "
done
med() { tr ' ' '\n' <<<"${R[$1]}" | grep . | median; }
bn=$(med berth_net); bo=$(med berth_none); pn=$(med podman_net); po=$(med podman_none)
bd=$(echo "scale=1; $bn - $bo" | bc); pd=$(echo "scale=1; $pn - $po" | bc)
lib=$("$BIN/netattach" "$N" "$BIN/berth-dns")

table="| what (median of $N) | berth | podman 4.3.1 + netavark 1.4.0 |
|---|---|---|
| \`run --rm IMG true\`, network | $bn ms | $pn ms |
| same, \`--network none\` | $bo ms | $po ms |
| **network setup + teardown (difference)** | **$bd ms** | **$pd ms** |

berth library split (bench/netattach, $N rounds): $lib"
echo "$table"
if [[ -n $MARKDOWN ]]; then
    {
        echo
        echo "### Network attach: berth vs podman/netavark ($(date -u +%Y-%m-%d), $(nproc) vCPU, $(uname -r))"
        echo
        echo "$table"
        echo
        echo "Command: \`bash bench/netsetup.sh $N --markdown docs/benchmarks.md\`"
    } >>"$MARKDOWN"
fi
