#!/usr/bin/env bash
# The demo, from a fresh Debian 12 machine, as root: install, build, then run a container from
# the busybox fixture and show what it sees.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "the demo runs a container: run it as root" >&2; exit 1; }
bash scripts/install-deps.sh
bash scripts/build.sh
RUNTIME=$PWD/build/bin/berth-runtime
WORK=$(mktemp -d /tmp/berth-demo.XXXXXX)
BERTH="$PWD/build/bin/berth --root $WORK/store"
NET="demo-$$"
# shellcheck source=../tests/support/network_cleanup.sh
source tests/support/network_cleanup.sh
cleanup() {  # containers and the network first: their mounts and links live under $WORK
    set +e
    $BERTH rm -f demo-web demo-client >/dev/null 2>&1 || true
    $BERTH network rm "$NET" >/dev/null 2>&1 || true
    # The default network `bridge` that the plain `berth run` below created in this store:
    # its bridge device, nftables table, berth-dns and /run/berth/<hash>/.
    berth_network_cleanup "$PWD/build/bin" "$WORK/store" /run/berth
    rm -rf "$WORK"
}
trap cleanup EXIT
bash rootfs-fixtures/busybox-rootfs.sh "$WORK/bundle/rootfs" 2>/dev/null
"$RUNTIME" spec --bundle "$WORK/bundle"
# The default spec runs "sh"; show the container's own view instead.
set_args() {  # replaces the process args of the spec-written config.json (no jq on a fresh host)
    sed -z -i "s|\"args\": \[\n      \"sh\"\n    \]|\"args\": $1|" "$WORK/bundle/config.json"
}
cp "$WORK/bundle/config.json" "$WORK/bundle/config.orig"
set_args '["sh", "-c", "echo hostname: $(hostname); echo processes, PID 1 is this shell:; ps -o pid,user,args; echo id: $(id); echo network: $(ls /sys/class/net)"]'
echo "== berth-runtime run demo (bundle $WORK/bundle)"
"$RUNTIME" --root "$WORK/state" run --bundle "$WORK/bundle" "demo-$$"
echo "== features"
"$RUNTIME" features | grep -E '"io.berth|ociVersionMax'

echo "== berth image load + ls (an OCI layout built from busybox-static, into a private store)"
bash rootfs-fixtures/oci-image.sh busybox "$WORK/busybox-oci" >/dev/null 2>&1
build/bin/berth --root "$WORK/store" image load --input "$WORK/busybox-oci"
build/bin/berth --root "$WORK/store" image ls
echo "== cgroup limits: pids.max 5 stops a fork loop"
cp "$WORK/bundle/config.orig" "$WORK/bundle/config.json"
set_args '["sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 1 \& done; echo started"]'
sed -z -i 's|"linux": {|"linux": {\n    "resources": {"pids": {"limit": 5}},|' "$WORK/bundle/config.json"
"$RUNTIME" --root "$WORK/state" run --bundle "$WORK/bundle" "demo-limits-$$" || true

echo "== berth run: a container from the loaded image, as docker run would"
$BERTH run --rm --memory 64m berth-fixtures/busybox:1 sh -c 'echo "hello from $(hostname), memory limit $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)"'
echo "== a network: two containers that reach each other by name (bridge + veth, nftables, berth-dns)"
$BERTH network create "$NET" >/dev/null
$BERTH run -d --name demo-web --network "$NET" berth-fixtures/busybox:1 sleep 300 >/dev/null
$BERTH run --name demo-client --network "$NET" berth-fixtures/busybox:1 sh -c 'nslookup demo-web | grep -A1 ^Name; ping -c 1 -W 2 demo-web | head -2'
$BERTH ps -a
$BERTH inspect --format '{{.State.Status}} pid {{.State.Pid}}' demo-web
