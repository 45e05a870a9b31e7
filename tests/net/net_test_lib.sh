# Shared by the tests/net scripts (sourced, not run): a private berth store under a temp dir,
# the busybox fixture loaded into it, and a cleanup that removes everything the script made
# (containers, networks with their bridges, nft table and DNS records, mounts, processes it
# started, and whatever it adds to CLEANUP_COMMANDS), also after a failure.
#
# Before sourcing: BIN (the dir with berth), REPO (the repository). After: ROOT, RUN, WORK,
# IMAGE, TAG and the functions below.
WORK=$(mktemp -d /tmp/berth-net-test.XXXXXXXX)
ROOT=$WORK/root
RUN=$WORK/run
IMAGE=berth-fixtures/busybox:1
TAG=$$
# Names that are not containers' go to a loopback port nobody serves unless a test says else.
export BERTH_DNS_UPSTREAMS=${BERTH_DNS_UPSTREAMS:-127.0.0.1:9}
STARTED_PIDS=()
CLEANUP_COMMANDS=()
# shellcheck source=../support/network_cleanup.sh
source "$REPO/tests/support/network_cleanup.sh"

B() { "$BIN/berth" --root "$ROOT" --runroot "$RUN" "$@"; }

net_test_cleanup() {
    set +e
    for pid in "${STARTED_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
    if [[ -d $ROOT/containers ]]; then
        ids=$(ls "$ROOT/containers" | grep -E '^[0-9a-f]{64}$')
        [[ -n $ids ]] && B rm -f $ids >/dev/null 2>&1
    fi
    # Every network (bridges), the nft table, berth-dns and /run/berth/<hash>/ of this store.
    berth_network_cleanup "$BIN" "$ROOT" "$RUN"
    for command in "${CLEANUP_COMMANDS[@]}"; do eval "$command" 2>/dev/null; done
    grep " $WORK/" /proc/self/mounts | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m"; done
    rm -rf -- "$WORK"
}
trap net_test_cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }
# rc_of CMD...: its exit code (output in $WORK/out, $WORK/err), without tripping set -e
rc_of() {
    set +e
    "$@" >"$WORK/out" 2>"$WORK/err"
    echo $?
    set -e
}
# The container's address on NETWORK (default: its first).
ip_of() {
    if [[ -n ${2:-} ]]; then
        B inspect --format "{{.NetworkSettings.Networks.$2.IPAddress}}" "$1"
    else
        B inspect "$1" | sed -n 's/.*"IPAddress": "\([0-9.]*\)".*/\1/p' | head -1
    fi
}

load_busybox_fixture() {
    if [[ -n ${BERTH_OCI_FIXTURES:-} && -d $BERTH_OCI_FIXTURES/busybox ]]; then
        B image load --input "$BERTH_OCI_FIXTURES/busybox" >/dev/null
    else
        bash "$REPO/rootfs-fixtures/oci-image.sh" busybox "$WORK/busybox.tar" >/dev/null 2>&1
        B image load -i "$WORK/busybox.tar" >/dev/null
    fi
}
