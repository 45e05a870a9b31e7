// Address management as pure functions over the persisted networks: which subnet a new
// network gets, which address a new endpoint gets. The caller holds the store lock.
#pragma once

#include <string>
#include <vector>

#include "berth/netns/address.h"
#include "berth/netns/network.h"

namespace berth::netns {

// A pool entry: `base` is cut into subnets of length `size` (docker's default-address-pools).
struct PoolEntry {
    Prefix base;
    int size = 16;
};

// Docker's defaults: 172.17.0.0/16 ... 172.31.0.0/16, then 192.168.0.0/16 cut into /20s.
std::vector<PoolEntry> default_address_pool();
// "172.17.0.0/16:16,192.168.0.0/16:20" -> entries; throws berth::Error naming the bad entry.
std::vector<PoolEntry> parse_address_pool(const std::string& text);

// The first pool subnet overlapping none of `taken` (other networks' subnets and the host's
// routes). Throws berth::Error("no available subnet in the address pool ...") when all are.
Prefix pick_subnet(const std::vector<PoolEntry>& pool, const std::vector<Prefix>& taken);

// The next free address of the network's range (ip_range or the subnet) after the last one
// handed out (network.ip_cursor), wrapping around, never the network or broadcast address
// nor the gateway. Like Docker, a released address is not handed out again until the range
// wrapped: a namespace still being torn down by the kernel never shares it. Throws when full.
Ipv4 allocate_address(const Network& network);
// Checks a requested --ip: inside the subnet, not reserved, not in use.
void check_requested_address(const Network& network, Ipv4 ip);

}  // namespace berth::netns
