// The immutable table the workers answer from: one ZoneView per listen address, with every
// answer record precomputed as wire bytes. A reload builds a new table and swaps the pointer.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "berth/netns/dns_records.h"

namespace berth::netns {

// Answer records are stored ready to copy: owner name = pointer to the question (0xC00C),
// type, class IN, TTL, rdlength, rdata. A records are kARecordSize bytes each.
inline constexpr std::size_t kARecordSize = 16;

struct ZoneEntry {
    std::string a_records;  // n * kARecordSize bytes, shuffled per answer
    std::uint16_t a_count = 0;
    std::string ptr_records;  // PTR records, each complete (variable size)
    std::uint16_t ptr_count = 0;
};

struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
        // FNV-1a: names are short; this is faster than std::hash's murmur for them.
        std::uint64_t h = 1469598103934665603ull;
        for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
        return static_cast<std::size_t>(h);
    }
};

struct ZoneView {
    // Keys: lower-cased wire names (labels + root byte).
    std::unordered_map<std::string, ZoneEntry, NameHash, std::equal_to<>> names;
    // Lower-cased wire suffixes ("\x05mynet\x00") under which unknown names are NXDOMAIN.
    std::vector<std::string> domains;
    std::vector<sockaddr_in> upstreams;
    std::vector<std::string> networks;  // which files fed this view (for logs)
};

struct ZoneTable {
    // Listen IPv4 address (network byte order) -> its view.
    std::map<std::uint32_t, std::shared_ptr<const ZoneView>> by_address;
    std::uint64_t generation = 0;
};

// Builds the table from the parsed files (network name -> file). Upstreams named by a file
// win over `default_upstreams` (the resolv.conf ones); any upstream equal to a listen
// address on `port` is dropped (it would loop back to us).
std::shared_ptr<const ZoneTable> build_zone_table(
    const std::map<std::string, DnsNetworkFile>& files,
    const std::vector<std::string>& default_upstreams, std::uint16_t port,
    std::uint64_t generation);

// "1.2.3.4" or "1.2.3.4:5353" -> sockaddr (port 53 by default). False when malformed.
bool parse_upstream(const std::string& text, sockaddr_in& out);

}  // namespace berth::netns
