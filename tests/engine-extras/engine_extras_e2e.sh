#!/usr/bin/env bash
# engine_extras_e2e.sh BERTH OCI_IMAGE_SCRIPT
#
# A user's session with the engine's extras, as root, against a private store and run root:
# named volumes (data kept across containers, inspect fields, rm refused while used, the
# image's content copied into a new volume, rm -v of anonymous volumes), berth cp both ways
# with a hostile symlink (/x -> /etc in the container) on a running and a stopped container,
# cp's tar streams (- as SRC or DEST, a hostile stream refused),
# stats with a --memory limit and pids, top, rename, pause/unpause and container prune.
# Everything is removed at the end, also on failure; the host's /etc is checked unchanged.
set -uo pipefail

[[ $# -eq 2 ]] || { echo "usage: $0 BERTH OCI_IMAGE_SCRIPT" >&2; exit 2; }
BERTH=$(readlink -f -- "$1")
OCI_IMAGE=$2
[[ $(id -u) -eq 0 ]] || { echo "must run as root" >&2; exit 2; }

W=$(mktemp -d /tmp/berth-extras-e2e.XXXXXXXX)
B=("$BERTH" --root "$W/store" --runroot "$W/run")
IMG=berth-fixtures/busybox:1
MARK=berth-e2e-$$-$RANDOM
HOST_PASSWD_SUM=$(sha256sum /etc/passwd)
PASS=0
FAIL=0
# Containers are on the default network "bridge": names that are not containers' go to a
# loopback port nobody serves, never to the host's resolvers.
export BERTH_DNS_UPSTREAMS=127.0.0.1:9
# shellcheck source=../support/network_cleanup.sh
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/../support/network_cleanup.sh"

cleanup() {
    set +e
    for id in $("${B[@]}" ps -aq 2>/dev/null); do "${B[@]}" rm -f -v "$id" >/dev/null 2>&1; done
    # The default network the containers were on: its bridge, nft table, berth-dns.
    berth_network_cleanup "$(dirname -- "$BERTH")" "$W/store" "$W/run"
    # Any mount left below the work dir (a rootfs of a container that failed to go away).
    grep -F " $W/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null
    done
    rm -rf -- "$W"
    rm -f -- "/etc/$MARK"
}
trap cleanup EXIT

pass() { echo "PASS: $*"; PASS=$((PASS + 1)); }
fail() { echo "FAIL: $*"; FAIL=$((FAIL + 1)); }
check() {  # description, then a command that must succeed
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
json_field() {  # JSON on stdin, python expression on `d`
    python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

bash "$OCI_IMAGE" busybox "$W/image" >/dev/null || { echo "cannot build the image" >&2; exit 1; }
"${B[@]}" image load --input "$W/image" >/dev/null || { echo "image load failed" >&2; exit 1; }

# --- named volume: data kept across two containers
"${B[@]}" run --rm -v data1:/data "$IMG" sh -c 'echo kept-across > /data/f'
out=$("${B[@]}" run --rm -v data1:/data "$IMG" cat /data/f)
check "named volume keeps data across two containers" [ "$out" = kept-across ]

# --- volume inspect fields
"${B[@]}" volume create --label team=blue labeled >/dev/null
insp=$("${B[@]}" volume inspect labeled)
check "volume inspect Name/Driver/Scope" [ "$(json_field 'd[0]["Name"], d[0]["Driver"], d[0]["Scope"]' <<<"$insp")" = "labeled local local" ]
check "volume inspect Mountpoint" [ "$(json_field 'd[0]["Mountpoint"]' <<<"$insp")" = "$W/store/volumes/labeled/_data" ]
check "volume inspect Labels" [ "$(json_field 'd[0]["Labels"]["team"]' <<<"$insp")" = blue ]
check "inspect finds a volume by name" [ "$(json_field 'd[0]["Mountpoint"]' <<<"$("${B[@]}" inspect labeled)")" = "$W/store/volumes/labeled/_data" ]
check "inspect --type volume" [ "$(json_field 'd[0]["Name"]' <<<"$("${B[@]}" inspect --type volume labeled)")" = labeled ]
check "volume inspect CreatedAt is RFC 3339" python3 -c "
import datetime,json,sys; datetime.datetime.strptime(json.loads(sys.argv[1])[0]['CreatedAt'], '%Y-%m-%dT%H:%M:%SZ')" "$insp"
check "volume ls lists both" [ "$("${B[@]}" volume ls -q | sort | tr '\n' ' ')" = "data1 labeled " ]

# --- rm refuses a volume a container uses
"${B[@]}" create --name user1 -v busy:/b "$IMG" true >/dev/null
err=$("${B[@]}" volume rm busy 2>&1)
check "volume rm refuses a used volume" [ $? -ne 0 ]
check "... naming the container" grep -q "in use by container" <<<"$err"
check "... and the volume is still there" "${B[@]}" volume inspect busy >/dev/null
"${B[@]}" rm user1 >/dev/null
check "volume rm works once the container is gone" bash -c "${B[*]} volume rm busy >/dev/null"

# --- the image's content is copied into a new volume on first use
out=$("${B[@]}" run --rm -v etcvol:/etc "$IMG" cat /etc/passwd)
check "a new volume gets the image's content" grep -q '^root:' "$W/store/volumes/etcvol/_data/passwd"

# --- rm -v removes anonymous volumes, keeps named ones
"${B[@]}" create --name anon1 -v /scratch -v keepme:/k "$IMG" true >/dev/null
anon=$("${B[@]}" inspect anon1 | json_field '[m["Name"] for m in d[0]["Mounts"] if m["Destination"]=="/scratch"][0]')
check "anonymous volume exists" "${B[@]}" volume inspect "$anon" >/dev/null
"${B[@]}" rm -v anon1 >/dev/null
check "rm -v removed the anonymous volume" bash -c "! ${B[*]} volume inspect $anon >/dev/null 2>&1"
check "rm -v kept the named volume" "${B[@]}" volume inspect keepme >/dev/null

# --- cp with a hostile symlink (/x -> /etc), running container
"${B[@]}" run -d --name cpc "$IMG" sh -c \
    "echo 'root:x:0:0:CONTAINER-$MARK:/root:/bin/sh' > /etc/passwd; ln -s /etc /x; ln -s ../../../../etc /up; touch /ready; exec sleep 1000" >/dev/null
for _ in $(seq 100); do "${B[@]}" exec cpc test -e /ready 2>/dev/null && break; sleep 0.1; done
"${B[@]}" cp cpc:/x/passwd "$W/got-passwd"
check "cp C:/x/passwd reads the container's /etc/passwd" grep -q "CONTAINER-$MARK" "$W/got-passwd"
"${B[@]}" cp cpc:/up/passwd "$W/got-passwd2"
check "cp C:/up/passwd (../../..) stays in the container" grep -q "CONTAINER-$MARK" "$W/got-passwd2"
echo "payload-$MARK" > "$W/$MARK"
"${B[@]}" cp "$W/$MARK" cpc:/x/
check "cp FILE C:/x/ writes into the container's /etc" [ "$("${B[@]}" exec cpc cat "/etc/$MARK")" = "payload-$MARK" ]
check "... and not into the host's /etc" [ ! -e "/etc/$MARK" ]
mkdir -p "$W/tree/sub" && echo deep > "$W/tree/sub/f" && chmod 0751 "$W/tree/sub" && chown 123:456 "$W/tree/sub/f"
"${B[@]}" cp "$W/tree" cpc:/
check "cp DIR C:/ copies the tree into /" [ "$("${B[@]}" exec cpc cat /tree/sub/f)" = deep ]
check "... keeping modes and owners" [ "$("${B[@]}" exec cpc stat -c '%a %u:%g' /tree/sub /tree/sub/f | tr '\n' ' ')" = "751 0:0 644 123:456 " ]
"${B[@]}" cp cpc:/tree/sub "$W/back"
check "cp C:DIR to a new host path creates it with the content" [ "$(cat "$W/back/f")" = deep ]

# --- cp with tar streams (-), the hostile stream included
"${B[@]}" cp cpc:/tree - > "$W/tree.tar"
check "cp C:DIR - writes a tar named after the directory" grep -qx 'tree/sub/f' <<<"$(tar -tf "$W/tree.tar")"
check "... with owners kept" grep -q '123/456 .* tree/sub/f$' <<<"$(tar -tvf "$W/tree.tar")"
"${B[@]}" cp cpc:/x/passwd - | tar -xOf - passwd > "$W/passwd-from-tar"
check "cp C:/x/passwd - streams the container's file" grep -q "CONTAINER-$MARK" "$W/passwd-from-tar"
mkdir -p "$W/in/d" && echo streamed > "$W/in/d/g"
tar -C "$W/in" -cf - . | "${B[@]}" cp - cpc:/tmp
check "tar | cp - C:DIR extracts into the directory" [ "$("${B[@]}" exec cpc cat /tmp/d/g)" = streamed ]
python3 - "$W" "$MARK" <<'PY'
import io, sys, tarfile
work, mark = sys.argv[1], sys.argv[2]
def write(name, entries):
    with tarfile.open(f"{work}/{name}.tar", "w") as t:
        for path, kind, value in entries:
            info = tarfile.TarInfo(path)
            if kind == "link":
                info.type, info.linkname = tarfile.SYMTYPE, value
                t.addfile(info)
            else:
                data = value.encode()
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
write("dotdot", [(f"../../../etc/{mark}", "file", "escaped")])
write("through-link", [("l", "link", "/etc"), (f"l/{mark}", "file", "escaped")])
PY
for hostile in dotdot through-link; do
    out=$("${B[@]}" cp - cpc:/tmp < "$W/$hostile.tar" 2>&1)
    check "hostile stream $hostile is refused naming the entry" grep -q "tar entry .*$MARK" <<<"$out"
done
check "... nothing reached the container's /etc" [ "$("${B[@]}" exec cpc ls /etc | grep -c "$MARK")" = 1 ]
check "... nor the host's /etc" [ ! -e "/etc/$MARK" ]

# --- the same on the stopped container (its overlay mounted privately by cp)
"${B[@]}" stop -t 1 cpc >/dev/null
rm -f "$W/got-passwd"
"${B[@]}" cp cpc:/x/passwd "$W/got-passwd"
check "stopped: cp C:/x/passwd reads the container's file" grep -q "CONTAINER-$MARK" "$W/got-passwd"
echo "stopped-$MARK" > "$W/$MARK"
"${B[@]}" cp "$W/$MARK" cpc:/x/
check "stopped: cp FILE C:/x/ lands in the container's upper layer" grep -q "stopped-$MARK" "$W/store/containers/$("${B[@]}" inspect --format '{{.Id}}' cpc)/rw/upper/etc/$MARK"
check "stopped: host /etc untouched" [ ! -e "/etc/$MARK" ]
check "host /etc/passwd unchanged" [ "$(sha256sum /etc/passwd)" = "$HOST_PASSWD_SUM" ]

# --- stats, top
"${B[@]}" run -d --name st --memory 64m "$IMG" sh -c 'sleep 1000 & exec sleep 1001' >/dev/null
sleep 0.3
stats=$("${B[@]}" stats --no-stream --format json st)
check "stats shows the --memory limit" [ "$(json_field 'd["MemLimitBytes"]' <<<"$stats")" = 67108864 ]
check "stats MemUsage says 64MiB" grep -q '/ 64MiB' <<<"$(json_field 'd["MemUsage"]' <<<"$stats")"
check "stats shows a nonzero pids count" [ "$(json_field 'd["PIDsCount"]' <<<"$stats")" -ge 2 ]
table=$("${B[@]}" stats --no-stream)
check "stats table lists the container" grep -q " st " <<<"$table"
top=$("${B[@]}" top st -o pid,comm)
check "top lists the container's processes" bash -c 'grep -q "sleep 1000" <<<"$1" && grep -q "sleep 1001" <<<"$1" && head -1 <<<"$1" | grep -q "UID *PID *PPID"' _ "$top"

# --- pause / unpause
"${B[@]}" pause st >/dev/null
check "pause: inspect shows Paused" [ "$("${B[@]}" inspect --format '{{.State.Paused}}' st)" = true ]
listing=$("${B[@]}" ps)
check "pause: ps says Up ... (Paused)" grep -q 'Up .* (Paused) .* st$' <<<"$listing"
listing=$("${B[@]}" ps --format '{{.State}} {{.Names}}')
check "pause: ps --format State is paused" grep -qx 'paused st' <<<"$listing"
pid=$("${B[@]}" inspect --format '{{.State.Pid}}' st)
freezer=$(awk -F: '$2 == "freezer" {print $3}' "/proc/$pid/cgroup")
check "pause: its freezer cgroup is FROZEN" [ "$(cat "/sys/fs/cgroup/freezer$freezer/freezer.state")" = FROZEN ]
"${B[@]}" unpause st >/dev/null
check "unpause: running again" [ "$("${B[@]}" inspect --format '{{.State.Paused}} {{.State.Status}}' st)" = "false running" ]

# --- rename
"${B[@]}" rename st renamed >/dev/null
check "rename: the new name resolves" [ "$("${B[@]}" inspect --format '{{.Name}}' renamed)" = /renamed ]
check "rename: the old name is gone" bash -c "! ${B[*]} inspect st >/dev/null 2>&1"
check "rename: a taken name is refused" bash -c "! ${B[*]} rename renamed cpc 2>/dev/null"

# --- container prune: stopped ones go, the running one stays
"${B[@]}" create --name never-started "$IMG" true >/dev/null
before=$("${B[@]}" ps -aq | wc -l)
pruned=$("${B[@]}" container prune -f)
check "container prune lists what it removed" grep -q "Deleted Containers" <<<"$pruned"
left=$("${B[@]}" ps -aq | wc -l)
check "container prune removed $((before - 1)) stopped containers" [ "$left" -eq 1 ]
check "... the running one is still there" [ "$("${B[@]}" inspect --format '{{.State.Status}}' renamed)" = running ]

echo "$PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
