#include "berth/netns/ipam.h"

#include <algorithm>
#include <set>

#include "berth/error.h"

namespace berth::netns {

std::vector<PoolEntry> default_address_pool() {
    std::vector<PoolEntry> pool;
    for (uint32_t second = 17; second <= 31; ++second)
        pool.push_back({Prefix{Ipv4{(172u << 24) | (second << 16)}, 16}, 16});
    pool.push_back({Prefix{Ipv4{(192u << 24) | (168u << 16)}, 16}, 20});
    return pool;
}

std::vector<PoolEntry> parse_address_pool(const std::string& text) {
    std::vector<PoolEntry> pool;
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        std::string item = text.substr(start, comma - start);
        auto colon = item.rfind(':');
        if (colon == std::string::npos)
            throw Error("address pool entry \"" + item + "\": expected BASE/LEN:SIZE");
        PoolEntry entry{Prefix::parse(item.substr(0, colon)), 0};
        try {
            entry.size = std::stoi(item.substr(colon + 1));
        } catch (const std::exception&) {
            entry.size = -1;
        }
        if (entry.size < entry.base.length || entry.size > 30)
            throw Error("address pool entry \"" + item + "\": size must be " +
                        std::to_string(entry.base.length) + "-30");
        pool.push_back(entry);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return pool;
}

Prefix pick_subnet(const std::vector<PoolEntry>& pool, const std::vector<Prefix>& taken) {
    for (const auto& entry : pool) {
        uint64_t step = uint64_t{1} << (32 - entry.size);
        uint64_t end = uint64_t{entry.base.address.value} + entry.base.size();
        for (uint64_t at = entry.base.address.value; at < end; at += step) {
            Prefix candidate{Ipv4{static_cast<uint32_t>(at)}, entry.size};
            bool clash = std::any_of(taken.begin(), taken.end(),
                                     [&](const Prefix& p) { return p.overlaps(candidate); });
            if (!clash) return candidate;
        }
    }
    throw Error(
        "no available subnet in the address pool: every one overlaps an existing "
        "network or a host route (give --subnet)");
}

namespace {

bool reserved(const Network& network, Ipv4 ip) {
    const Prefix& subnet = network.subnet;
    if (subnet.length < 31 && (ip == subnet.first() || ip == subnet.last())) return true;
    return ip == network.gateway;
}

}  // namespace

Ipv4 allocate_address(const Network& network) {
    std::set<uint32_t> used;
    for (const auto& [id, ep] : network.endpoints) used.insert(ep.ip.value);
    const Prefix& range = network.ip_range ? *network.ip_range : network.subnet;
    uint64_t first = range.first().value, size = range.size();
    uint64_t start = 0;
    if (range.contains(network.ip_cursor)) start = network.ip_cursor.value - first + 1;
    for (uint64_t step = 0; step < size; ++step) {
        Ipv4 ip{static_cast<uint32_t>(first + (start + step) % size)};
        if (!network.subnet.contains(ip) || reserved(network, ip) || used.count(ip.value)) continue;
        return ip;
    }
    throw Error("network " + network.name + ": no free address in " + range.str());
}

void check_requested_address(const Network& network, Ipv4 ip) {
    if (!network.subnet.contains(ip))
        throw Error("address " + ip.str() + " is not in network " + network.name + "'s subnet " +
                    network.subnet.str());
    if (reserved(network, ip))
        throw Error("address " + ip.str() + " is reserved in network " + network.name);
    for (const auto& [id, ep] : network.endpoints)
        if (ep.ip == ip)
            throw Error("address " + ip.str() + " is already in use in network " + network.name +
                        " (by " + ep.container_name + ")");
}

}  // namespace berth::netns
