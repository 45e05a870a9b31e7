// IPv4 addresses and prefixes as plain values: parsing with errors that name the bad input,
// formatting, containment and overlap. No kernel access here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::netns {

struct Ipv4 {
    uint32_t value = 0;  // host byte order

    static Ipv4 parse(std::string_view text);  // "172.18.0.2"; throws berth::Error
    static std::optional<Ipv4> try_parse(std::string_view text);
    std::string str() const;
    uint32_t network_order() const;
    auto operator<=>(const Ipv4&) const = default;
};

struct Prefix {
    Ipv4 address;  // the network address (host bits zero)
    int length = 0;

    // "172.18.0.0/16"; host bits must be zero unless allow_host_bits (then they are cleared).
    static Prefix parse(std::string_view text, bool allow_host_bits = false);
    std::string str() const;
    uint32_t mask() const;
    Ipv4 first() const { return address; }
    Ipv4 last() const { return Ipv4{address.value | ~mask()}; }
    uint64_t size() const { return uint64_t{1} << (32 - length); }
    bool contains(Ipv4 ip) const { return (ip.value & mask()) == address.value; }
    bool contains(const Prefix& other) const {
        return other.length >= length && contains(other.address);
    }
    bool overlaps(const Prefix& other) const { return contains(other) || other.contains(*this); }
    auto operator<=>(const Prefix&) const = default;
};

}  // namespace berth::netns
