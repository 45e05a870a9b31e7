#!/usr/bin/env bash
# Installs everything berth needs to build, test and benchmark, from Debian 12's archive only.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# Build: compiler, CMake, and the libraries berth links (see README "Dependencies").
BUILD=(g++ cmake make pkg-config libcap-dev libseccomp-dev nlohmann-json3-dev libcli11-dev
       libgtest-dev libarchive-dev libssl-dev libcurl4-openssl-dev libyaml-cpp-dev
       libnl-3-dev libnl-route-3-dev libnftables-dev)
# Tests: the busybox the fixtures are made of, podman as a real OCI runtime client, qemu (+ xz
# to unpack the guest kernel) for the cgroup v2 tests in a guest booted with cgroup_no_v1=all,
# zstd for the fixture image's zstd-compressed layer, docker-registry + skopeo for a real
# registry on loopback that the pull tests push the fixtures to, openssl for the throwaway CA
# and token signing key of the registry TLS/token test; iproute2/nftables/ping/curl let the
# network tests check what berth set up (berth itself uses netlink and libnftables).
TEST=(busybox-static podman qemu-system-x86 xz-utils zstd docker-registry skopeo openssl
      iproute2 nftables iputils-ping curl)
# DNS tests: dnsmasq as the loopback upstream berth-dns forwards to, dig as the user's client.
TEST+=(dnsmasq bind9-dnsutils)
# Benchmarks: the peers we measure against, and GNU time for peak RSS.
BENCH=(crun runc time util-linux umoci)
# bench/dns.sh: dnsperf drives berth-dns and dnsmasq (the peer) alike.
BENCH+=(dnsperf dnsmasq)
# bench/netsetup.sh: podman's network backend, and bc for its arithmetic.
BENCH+=(netavark bc)
missing=()
for pkg in "${BUILD[@]}" "${TEST[@]}" "${BENCH[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
