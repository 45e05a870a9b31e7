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
trap 'rm -rf "$WORK"' EXIT
bash rootfs-fixtures/busybox-rootfs.sh "$WORK/bundle/rootfs" 2>/dev/null
"$RUNTIME" spec --bundle "$WORK/bundle"
# The default spec runs "sh"; show the container's own view instead.
sed -i 's|"args": \["sh"\]|"args": ["sh", "-c", "echo \\"hostname: $(hostname)\\"; echo \\"processes (PID 1 is this shell):\\"; ps -o pid,user,args; echo \\"id: $(id)\\"; echo \\"network: $(ls /sys/class/net)\\""]|' "$WORK/bundle/config.json"
echo "== berth-runtime run demo (bundle $WORK/bundle)"
"$RUNTIME" --root "$WORK/state" run --bundle "$WORK/bundle" "demo-$$"
echo "== features"
"$RUNTIME" features | head -5
