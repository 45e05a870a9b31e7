#!/usr/bin/env bash
# network_dns_test.sh BIN_DIR
#
# Which names a container sees, with real containers (berth run) as root on this host:
#   - a container on two networks resolves (and pings) the names of both, through the one
#     nameserver in its resolv.conf; a container on one of them does not see the other's;
#     after `network disconnect` the other network's names are gone for it too;
#   - `--dns IP` keeps the container names working and sends the container's other names to
#     that server (a dnsmasq this test runs on a loopback address of its own); the other
#     containers keep the network's upstream.
# Traffic only goes between the containers this test makes, their bridges and loopback.
set -eu

BIN=$(cd -- "$1" && pwd)
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "$HERE/../.." && pwd)
# shellcheck source=net_test_lib.sh
source "$HERE/net_test_lib.sh"

# Polls `nslookup NAME` in CONTAINER until its output has (want=yes) or lacks (want=no) ADDRESS.
wait_lookup() {
    local container=$1 name=$2 address=$3 want=$4 i
    for i in $(seq 1 50); do
        if B exec "$container" nslookup "$name" 2>/dev/null | grep -q "Address: $address\$"; then
            [[ $want == yes ]] && return 0
        else
            [[ $want == no ]] && return 0
        fi
        sleep 0.1
    done
    return 1
}

load_busybox_fixture
N1=dns1-$TAG
N2=dns2-$TAG

step "a container on two networks resolves the names of both"
B network create "$N1" >/dev/null
B network create "$N2" >/dev/null
B run -d --name a --network "$N1" $IMAGE sleep 600 >/dev/null
B run -d --name b --network "$N2" $IMAGE sleep 600 >/dev/null
B run -d --name x --network "$N1" $IMAGE sleep 600 >/dev/null
B network connect "$N2" x
A_IP=$(ip_of a)
B_IP=$(ip_of b)
GW1=$(B network inspect "$N1" | sed -n 's/.*"Gateway": "\([0-9.]*\)".*/\1/p' | head -1)
[[ -n $A_IP && -n $B_IP && -n $GW1 ]] || fail "addresses: a=$A_IP b=$B_IP gateway=$GW1"
B exec x cat /etc/resolv.conf | grep -qx "nameserver $GW1" ||
    fail "x's resolv.conf: $(B exec x cat /etc/resolv.conf)"
wait_lookup x b "$B_IP" yes || fail "x cannot resolve b (second network): $(B exec x nslookup b 2>&1)"
B exec x ping -c 1 -W 2 b >/dev/null || fail "x cannot ping b by name"
B exec x nslookup a | grep -q "Address: $A_IP\$" || fail "x cannot resolve a (first network)"
# a is only on the first network: b's name is not its business.
B exec a nslookup b 2>/dev/null | grep -q "Address: $B_IP\$" && fail "a resolved b across networks"

step "after disconnect the second network's names are gone for it"
B network disconnect "$N2" x
wait_lookup x b "$B_IP" no || fail "x still resolves b after disconnect"
B exec x nslookup a | grep -q "Address: $A_IP\$" || fail "x lost its own network's names"

step "--dns: container names still work, other names go to that server"
DNS_IP=127.53.$((TAG % 250 + 1)).$((TAG / 250 % 250 + 1))
/usr/sbin/dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
    --listen-address="$DNS_IP" --bind-interfaces --port=53 --pid-file= \
    --address=/up.test/198.51.100.7 >/dev/null 2>&1 &
STARTED_PIDS+=($!)
for i in $(seq 1 100); do
    dig +short +time=1 +tries=1 @"$DNS_IP" up.test 2>/dev/null | grep -q . && break
    sleep 0.05
done
B run -d --name d --network "$N1" --dns "$DNS_IP" $IMAGE sleep 600 >/dev/null
B exec d cat /etc/resolv.conf | grep -qx "nameserver $GW1" ||
    fail "d's resolv.conf should name berth-dns: $(B exec d cat /etc/resolv.conf)"
B exec d nslookup www.up.test | grep -q "Address: 198.51.100.7\$" ||
    fail "d's other names did not reach its --dns server: $(B exec d nslookup www.up.test 2>&1)"
B exec d nslookup a | grep -q "Address: $A_IP\$" || fail "--dns turned off container names"
B exec d ping -c 1 -W 2 a >/dev/null || fail "d cannot ping a by name"
# a keeps the network's upstream (nobody listens there): no answer from d's server for it.
timeout 20 "$BIN/berth" --root "$ROOT" --runroot "$RUN" exec a nslookup www.up.test 2>/dev/null |
    grep -q "198.51.100.7" && fail "a got an answer from d's --dns server"

echo "network_dns: all checks passed"
