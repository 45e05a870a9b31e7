#!/usr/bin/env bash
# network_persist_test.sh BIN_DIR
#
# Networks a container is on are part of its record, as in Docker (issue 6), with real
# containers in a private store, as root:
#   m runs on net1, `network connect net2 m`, `berth restart m`: still on both (eth0 net1,
#   eth1 net2), pings a container on net2; stopped, `network disconnect net1 m`, started: only
#   on net2 (eth0 now net2); `network connect` of a stopped container attaches at its start;
#   a restart by the restart policy picks up a live connect; a container whose last network
#   was disconnected has none and can be connected again; connect refuses a network it is
#   already on, a missing network, --network none and host; `network rm` of a network only a
#   stopped container records works, and that container's next start fails with "network X
#   not found" leaving nothing behind; `berth run -d` without --network is on "bridge" and
#   reaches another default-network container, -p works without --network; `--network none`
#   has only lo.
#
# Traffic only goes between namespaces and bridges this test creates; DNS names that are not
# containers' go to a loopback port nobody serves (BERTH_DNS_UPSTREAMS). Everything is removed
# on exit, also after a failure: containers, networks (the default "bridge" too: its device,
# nft table, berth-dns and /run/berth/<hash>/), mounts, the work directory.
set -eu

BIN=$(cd -- "$1" && pwd)
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "$HERE/../.." && pwd)
# shellcheck source=net_test_lib.sh
source "$HERE/net_test_lib.sh"

# networks_of CTR: the names in NetworkSettings.Networks, sorted, space-separated
networks_of() {
    B inspect "$1" | python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin)[0]["NetworkSettings"]["Networks"])))'
}
# ip_on CTR NET: the container's address on NET ("" when it has none)
ip_on() {
    B inspect "$1" | python3 -c 'import json,sys; n=json.load(sys.stdin)[0]["NetworkSettings"]["Networks"].get(sys.argv[1]) or {}; print(n.get("IPAddress",""))' "$2"
}
# ifaces CTR: the interfaces inside, space-separated
ifaces() { B exec "$1" ls /sys/class/net | tr '\n' ' ' | sed 's/ $//'; }
addr_of_if() { B exec "$1" ip -4 -o addr show dev "$2" | awk '{print $4}' | cut -d/ -f1; }
bridge_of() { B network inspect "$1" | sed -n 's/.*"com.docker.network.bridge.name": "\(.*\)".*/\1/p'; }
veths_on() { ip -o link show master "$1" 2>/dev/null | wc -l; }

load_busybox_fixture

step "connect survives berth restart"
B network create net1 >/dev/null
B network create net2 >/dev/null
B run -d --name peer2 --network net2 $IMAGE sleep 600 >/dev/null
B run -d --name peer1 --network net1 $IMAGE sleep 600 >/dev/null
P2=$(ip_on peer2 net2)
P1=$(ip_on peer1 net1)
[[ -n $P2 && -n $P1 ]] || fail "peers have no addresses"
B run -d --name m --network net1 $IMAGE sleep 600 >/dev/null
B network connect --alias mm net2 m
B exec m ping -c 1 -W 2 "$P2" >/dev/null || fail "m cannot ping peer2 after a live connect"
B restart -t 1 m >/dev/null
[[ $(networks_of m) == "net1 net2" ]] || fail "after restart m is on '$(networks_of m)'"
[[ $(ifaces m) == "eth0 eth1 lo" ]] || fail "after restart m has '$(ifaces m)'"
[[ $(addr_of_if m eth0) == "$(ip_on m net1)" ]] || fail "eth0 is not net1's address"
[[ $(addr_of_if m eth1) == "$(ip_on m net2)" ]] || fail "eth1 is not net2's address"
B exec m ping -c 1 -W 2 "$P2" >/dev/null || fail "m cannot ping peer2 (net2) after restart"
B exec m ping -c 1 -W 2 "$P1" >/dev/null || fail "m cannot ping peer1 (net1) after restart"
B exec m ip route | grep -q "default via .* dev eth0" || fail "m's default route is not on eth0"
B exec peer2 nslookup mm | grep -q "Address: $(ip_on m net2)\$" || fail "alias mm on net2 lost"
B network inspect net2 | grep -q '"Name": "m"' || fail "network inspect net2 lacks running m"

step "disconnect the first network while stopped: the next one becomes eth0"
B stop -t 1 m >/dev/null
[[ $(networks_of m) == "net1 net2" ]] || fail "stopped m shows '$(networks_of m)'"
B network inspect net1 | grep -q '"Name": "m"' && fail "net1 lists stopped m"
B network disconnect net1 m
[[ $(networks_of m) == "net2" ]] || fail "after disconnect stopped m shows '$(networks_of m)'"
B start m >/dev/null
[[ $(ifaces m) == "eth0 lo" ]] || fail "m restarted with '$(ifaces m)'"
[[ $(addr_of_if m eth0) == "$(ip_on m net2)" ]] || fail "eth0 is not on net2"
B exec m ping -c 1 -W 2 "$P2" >/dev/null || fail "m cannot ping peer2 on its new eth0"
B exec m ping -c 1 -W 1 "$P1" >/dev/null 2>&1 && fail "m still reaches net1"

step "connect a stopped container: attached at its start"
B stop -t 1 m >/dev/null
B network connect net1 m
[[ $(networks_of m) == "net1 net2" ]] || fail "stopped m after connect shows '$(networks_of m)'"
B start m >/dev/null
[[ $(ifaces m) == "eth0 eth1 lo" ]] || fail "m started with '$(ifaces m)'"
[[ $(addr_of_if m eth0) == "$(ip_on m net2)" ]] || fail "eth0 is not net2 (the first)"
B exec m ping -c 1 -W 2 "$P1" >/dev/null || fail "m cannot ping peer1 on net1 (eth1)"

B create --name cr --network net1 $IMAGE sleep 600 >/dev/null
B network connect net2 cr
B start cr >/dev/null
[[ $(ifaces cr) == "eth0 eth1 lo" && $(addr_of_if cr eth1) == "$(ip_on cr net2)" ]] ||
    fail "a created container connected to net2 started with '$(ifaces cr)'"
B rm -f cr >/dev/null

step "connect refuses what Docker refuses"
[[ $(rc_of B network connect net1 m) != 0 ]] || fail "a second connect to net1 worked"
grep -q "container m is already connected to network net1" "$WORK/err" || fail "already-connected error: $(cat "$WORK/err")"
[[ $(rc_of B network connect nosuch m) != 0 ]] || fail "connect to a missing network worked"
grep -q "network nosuch not found" "$WORK/err" || fail "missing network error: $(cat "$WORK/err")"
B create --name n --network none $IMAGE true >/dev/null
[[ $(rc_of B network connect net1 n) != 0 ]] || fail "connect of a --network none container worked"
grep -q "container n cannot be connected to network net1: it has no network" "$WORK/err" || fail "none error: $(cat "$WORK/err")"
B create --name h --network host $IMAGE true >/dev/null
[[ $(rc_of B network connect net1 h) != 0 ]] || fail "connect of a --network host container worked"
grep -q "host's network namespace" "$WORK/err" || fail "host error: $(cat "$WORK/err")"
[[ $(rc_of B network disconnect net1 peer2) != 0 ]] || fail "disconnect of a network peer2 is not on worked"
grep -q "container peer2 is not connected to network net1" "$WORK/err" || fail "not-connected error: $(cat "$WORK/err")"
B create --name s --network net1 $IMAGE true >/dev/null
[[ $(rc_of B network connect --ip 203.0.113.5 net2 s) != 0 ]] || fail "connect --ip outside net2's subnet worked"
grep -q "address 203.0.113.5 is not in network net2's subnet" "$WORK/err" || fail "--ip error: $(cat "$WORK/err")"
[[ $(networks_of s) == "net1" ]] || fail "a refused connect was recorded: $(networks_of s)"
B rm n h s >/dev/null

step "a restart by the policy picks up a live connect"
B run -d --name r --network net1 --restart always $IMAGE \
    sh -c 'echo "ifs: $(ls /sys/class/net | tr "\n" " ")"; sleep 1; exit 1' >/dev/null
B network connect net2 r
found=
for i in $(seq 1 100); do
    B logs r 2>/dev/null | grep -q "ifs: eth0 eth1 lo" && { found=1; break; }
    sleep 0.1
done
[[ -n $found ]] || fail "r never restarted on both networks: $(B logs r 2>&1 | tail -3)"
B rm -f r >/dev/null

step "network rm of a network only a stopped container records; its start then fails cleanly"
B network create net3 >/dev/null
B stop -t 1 m >/dev/null
M_ID=$(B inspect m | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])')
B network connect net3 m
BR1=$(bridge_of net1)
BR2=$(bridge_of net2)
BR3=$(bridge_of net3)
B network rm net3 >/dev/null || fail "network rm net3 refused for a stopped container: $(B network rm net3 2>&1)"
[[ $(rc_of B start m) != 0 ]] || fail "m started with a removed network recorded"
grep -q "network net3 not found" "$WORK/err" || fail "start error: $(cat "$WORK/err")"
B network inspect net1 | grep -q '"Name": "m"' && fail "net1 keeps an endpoint of the failed start"
B network inspect net2 | grep -q '"Name": "m"' && fail "net2 keeps an endpoint of the failed start"
grep -q "/run/berth/netns/$M_ID " /proc/self/mountinfo && fail "netns mount of the failed start left"
for i in $(seq 1 100); do
    [[ $(veths_on "$BR1") == 1 && $(veths_on "$BR2") == 1 ]] && break
    sleep 0.1
done
[[ $(veths_on "$BR1") == 1 ]] || fail "veths left on net1's bridge: $(veths_on "$BR1") (peer1 only expected)"
[[ $(veths_on "$BR2") == 1 ]] || fail "veths left on net2's bridge: $(veths_on "$BR2") (peer2 only expected)"
ip link show "$BR3" >/dev/null 2>&1 && fail "net3's bridge $BR3 left"
B network disconnect net3 m || fail "disconnect of the removed net3 by name"
B start m >/dev/null || fail "m does not start after dropping net3"
[[ $(networks_of m) == "net1 net2" ]] || fail "m is on '$(networks_of m)'"

step "disconnect the last network of a running container: it has no network"
B network disconnect net2 m
B network disconnect net1 m
[[ $(ifaces m) == "lo" ]] || fail "m kept '$(ifaces m)'"
[[ $(B inspect m | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["HostConfig"]["NetworkMode"])') == none ]] ||
    fail "NetworkMode after the last disconnect"
[[ -z $(networks_of m) ]] || fail "inspect shows '$(networks_of m)' after the last disconnect"
step "... and network connect gives it one again, live and at the next start"
B network connect net2 m || fail "connect after the last disconnect"
[[ $(ifaces m) == "eth0 lo" ]] || fail "m has '$(ifaces m)' after connecting again"
B exec m ping -c 1 -W 2 "$P2" >/dev/null || fail "m cannot ping peer2 after connecting again"
B stop -t 1 m >/dev/null
B network disconnect net2 m
[[ -z $(networks_of m) ]] || fail "stopped m shows '$(networks_of m)' after the last disconnect"
B network connect net1 m || fail "connect of a stopped container after the last disconnect"
B start m >/dev/null
[[ $(networks_of m) == net1 && $(addr_of_if m eth0) == "$(ip_on m net1)" ]] ||
    fail "m restarted on '$(networks_of m)'"
B rm -f m >/dev/null
grep -q "/run/berth/netns/$M_ID " /proc/self/mountinfo && fail "netns mount of m left after rm"

step "berth run's default network is bridge"
B run -d --name d1 $IMAGE sleep 600 >/dev/null
B run -d --name d2 $IMAGE sleep 600 >/dev/null
D1=$(ip_on d1 bridge)
[[ -n $D1 ]] || fail "d1 has no address on bridge: $(networks_of d1)"
[[ $(B inspect d1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["HostConfig"]["NetworkMode"])') == bridge ]] ||
    fail "d1's NetworkMode is not bridge"
B exec d2 ping -c 1 -W 2 "$D1" >/dev/null || fail "d2 cannot ping d1 on the default network"
[[ $(B run --rm --network none $IMAGE ls /sys/class/net) == lo ]] || fail "--network none has more than lo"
PORT=
for p in $(seq 18181 18281); do ss -Htln "sport = :$p" | grep -q . || { PORT=$p; break; }; done
[[ -n $PORT ]] || fail "no free port in 18181-18281"
B run -d --name web -p "127.0.0.1:$PORT:80" $IMAGE \
    sh -c 'mkdir -p /www && echo on-bridge > /www/index.html && exec httpd -f -p 80 -h /www' >/dev/null
got=
for i in $(seq 1 50); do got=$(curl -s -m 2 "http://127.0.0.1:$PORT/" || true); [[ -n $got ]] && break; sleep 0.1; done
[[ $got == on-bridge ]] || fail "-p without --network: curl 127.0.0.1:$PORT gave '$got'"
B network ls | grep -q " bridge " || fail "network ls lacks bridge"

step "everything goes"
B rm -f d1 d2 web peer1 peer2 >/dev/null
for net in net1 net2 bridge; do B network rm $net >/dev/null || fail "network rm $net"; done
[[ -z $(B network ls -q) ]] || fail "networks left"
echo "PASS: network persist"
