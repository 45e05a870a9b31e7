#!/usr/bin/env bash
# network_session_test.sh BIN_DIR [scale]
#
# The seed's networking session with real containers (berth run), as root on this host:
#   network create mynet; a and b on it: b pings a by name, nslookup a answers a's address;
#   c on another network cannot reach a until `network connect`; -p 127.0.0.1:PORT:80 reaches
#   busybox httpd from the host; an internal network has no route out; outbound traffic to an
#   "outside" namespace this test makes is masqueraded; rm returns the address.
# With "scale": 200 containers on one network, every name resolvable and pingable from one of
# them, then all removed with nothing left (links, addresses, nft rules, netns mounts).
#
# Traffic only goes between namespaces and bridges this test creates and loopback; DNS names
# that are not containers' go to a loopback port nobody serves (BERTH_DNS_UPSTREAMS). Everything
# is removed on exit, also after a failure: containers, networks (bridges, nft table, DNS
# records, berth-dns, /run/berth/<hash>/), the outside namespace and its veth.
set -eu

BIN=$(cd -- "$1" && pwd)
MODE=${2:-session}
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "$HERE/../.." && pwd)
# shellcheck source=net_test_lib.sh
source "$HERE/net_test_lib.sh"
OUT_NS=berth-out-$TAG
OUT_VETH=bo$TAG
OCT=$((TAG % 250 + 1))
CLEANUP_COMMANDS+=("ip link del $OUT_VETH" "ip netns del $OUT_NS")

# HTTP GET from inside a container with busybox nc (the static busybox's wget crashes in its
# resolver code); prints the body.
fetch_in() {
    B exec "$1" sh -c "printf 'GET $3 HTTP/1.0\r\n\r\n' | nc -w 2 $2" 2>/dev/null | sed '1,/^\r\?$/d'
}
free_port() {
    local p
    for p in $(seq 18080 18180); do
        ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
    done
    fail "no free port in 18080-18180"
}

load_busybox_fixture

if [[ $MODE == scale ]]; then
    COUNT=${COUNT:-200}
    step "$COUNT containers on one network"
    B network create big >/dev/null
    BR=$(B network inspect big | sed -n 's/.*"com.docker.network.bridge.name": "\(.*\)".*/\1/p')
    start=$(date +%s%N)
    for i in $(seq 1 "$COUNT"); do
        B run -d --name "s$i" --network big $IMAGE sleep 600 >/dev/null || fail "run s$i"
    done
    t_run=$((($(date +%s%N) - start) / 1000000))
    echo "started $COUNT in $t_run ms"
    names=$(seq -f 's%g' 1 "$COUNT" | tr '\n' ' ')
    # Every name resolves (by berth-dns) and answers ping, from s1.
    out=$(B exec s1 sh -c "for n in $names; do ping -c 1 -W 2 -q \$n >/dev/null 2>&1 || echo unreachable \$n; done")
    [[ -z $out ]] || fail "from s1: $out"
    t_check=$((($(date +%s%N) - start) / 1000000 - t_run))
    echo "resolved and pinged $COUNT names in $t_check ms"
    IDS=$(ls "$ROOT/containers")
    start=$(date +%s%N)
    B rm -f $names >/dev/null
    echo "removed $COUNT in $((($(date +%s%N) - start) / 1000000)) ms"
    [[ $(B network inspect big | grep -c IPv4Address) == 0 ]] || fail "endpoints left in big"
    for i in $(seq 1 100); do [[ -z $(ip -o link show master "$BR") ]] && break; sleep 0.1; done
    [[ -z $(ip -o link show master "$BR") ]] || fail "veths left on $BR"
    B network rm big >/dev/null
    ip link show "$BR" >/dev/null 2>&1 && fail "bridge $BR left"
    [[ -z $(B ps -aq) ]] || fail "containers left: $(B ps -aq)"
    for id in $IDS; do
        [[ -e /run/berth/netns/$id ]] && fail "netns mount of $id left"
        grep -q "/run/berth/netns/$id " /proc/self/mountinfo && fail "netns mount of $id left"
    done
    B network inspect big >/dev/null 2>&1 && fail "network big left"
    echo "PASS: network scale ($COUNT)"
    exit 0
fi

step "network create mynet; a and b reach each other by name"
B network create mynet >/dev/null
B run -d --name a --network mynet $IMAGE sleep 600 >/dev/null
B run -d --name b --network mynet $IMAGE sleep 600 >/dev/null
A_IP=$(ip_of a)
[[ -n $A_IP ]] || fail "a has no address"
B exec b ping -c 1 -W 2 a >/dev/null || fail "b cannot ping a"
B exec b nslookup a | grep -q "Address: $A_IP\$" || fail "nslookup a from b: $(B exec b nslookup a 2>&1)"
B network inspect mynet | grep -q "\"IPv4Address\": \"$A_IP/" || fail "inspect lacks a"

step "another network is isolated until network connect"
B network create other >/dev/null
B run -d --name c --network other $IMAGE sleep 600 >/dev/null
B exec c ping -c 1 -W 1 "$A_IP" >/dev/null 2>&1 && fail "c reached a across networks"
B network connect mynet c
B exec c ping -c 1 -W 2 "$A_IP" >/dev/null || fail "c cannot ping a after connect"
B inspect c | grep -q '"mynet"' || fail "inspect c lacks mynet"
B network disconnect mynet c
B exec c ping -c 1 -W 1 "$A_IP" >/dev/null 2>&1 && fail "c reached a after disconnect"

step "-p 127.0.0.1:PORT:80 reaches httpd from the host"
PORT=$(free_port)
B run -d --name web --network mynet -p "127.0.0.1:$PORT:80" $IMAGE \
    sh -c 'mkdir -p /www && echo hello-web > /www/index.html && exec httpd -f -p 80 -h /www' >/dev/null
got=
for i in $(seq 1 50); do got=$(curl -s -m 2 "http://127.0.0.1:$PORT/" || true); [[ -n $got ]] && break; sleep 0.1; done
[[ $got == hello-web ]] || fail "curl 127.0.0.1:$PORT: '$got'"
B ps | grep -q "127.0.0.1:$PORT->80/tcp *web\$" || fail "ps PORTS column: $(B ps)"
B inspect web | grep -q "\"HostPort\": \"$PORT\"" || fail "inspect web lacks the port"

step "outbound traffic to an outside namespace is masqueraded"
ip netns add "$OUT_NS"
ip link add "$OUT_VETH" type veth peer name eth0 netns "$OUT_NS"
ip addr add "198.18.$OCT.1/24" dev "$OUT_VETH"
ip link set "$OUT_VETH" up
ip -n "$OUT_NS" addr add "198.18.$OCT.2/24" dev eth0
ip -n "$OUT_NS" link set eth0 up
mkdir -p "$WORK/outside/cgi-bin"
printf '#!/bin/sh\necho Content-Type: text/plain\necho\necho "$REMOTE_ADDR"\n' > "$WORK/outside/cgi-bin/peer"
chmod 755 "$WORK/outside/cgi-bin/peer"
ip netns exec "$OUT_NS" busybox httpd -f -p "198.18.$OCT.2:8080" -h "$WORK/outside" &
STARTED_PIDS+=($!)
got=
for i in $(seq 1 50); do
    got=$(fetch_in a "198.18.$OCT.2 8080" /cgi-bin/peer || true)
    [[ -n $got ]] && break
    sleep 0.1
done
[[ $got == "198.18.$OCT.1" ]] || fail "outside saw '$got', expected the host's 198.18.$OCT.1 (masquerade)"

step "an internal network has no way out"
B network create --internal sealed >/dev/null
B run -d --name i --network sealed $IMAGE sleep 600 >/dev/null
B exec i ip route | grep -q default && fail "internal container has a default route"
[[ -z $(fetch_in i "198.18.$OCT.2 8080" /cgi-bin/peer) ]] || fail "internal container got out"
B exec i ping -c 1 -W 1 "198.18.$OCT.2" >/dev/null 2>&1 && fail "internal container pinged out"

step "rm returns the address"
B rm -f a >/dev/null
B network inspect mynet | grep -q "\"IPv4Address\": \"$A_IP/" && fail "a's address still held"
B run -d --name a2 --network mynet --ip "$A_IP" $IMAGE sleep 600 >/dev/null || fail "a's address not free"
[[ $(ip_of a2) == "$A_IP" ]] || fail "a2 did not get $A_IP"
B exec b ping -c 1 -W 2 a2 >/dev/null || fail "b cannot ping a2"

step "everything goes with the containers and networks"
B rm -f a2 b c web i >/dev/null
for net in mynet other sealed; do B network rm $net >/dev/null || fail "network rm $net"; done
[[ -z $(B network ls -q) ]] || fail "networks left"
echo "PASS: network session"
