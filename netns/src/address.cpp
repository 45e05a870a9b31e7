#include "berth/netns/address.h"

#include <arpa/inet.h>

#include <charconv>

#include "berth/error.h"

namespace berth::netns {

std::optional<Ipv4> Ipv4::try_parse(std::string_view text) {
    std::string copy(text);
    in_addr addr{};
    // inet_pton accepts exactly dotted-quad decimal (no octal, no short forms).
    if (::inet_pton(AF_INET, copy.c_str(), &addr) != 1) return std::nullopt;
    return Ipv4{ntohl(addr.s_addr)};
}

Ipv4 Ipv4::parse(std::string_view text) {
    auto ip = try_parse(text);
    if (!ip) throw Error("invalid IPv4 address \"" + std::string(text) + "\"");
    return *ip;
}

std::string Ipv4::str() const {
    in_addr addr{htonl(value)};
    char buf[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &addr, buf, sizeof buf);
    return buf;
}

uint32_t Ipv4::network_order() const {
    return htonl(value);
}

uint32_t Prefix::mask() const {
    return length == 0 ? 0 : ~uint32_t{0} << (32 - length);
}

Prefix Prefix::parse(std::string_view text, bool allow_host_bits) {
    auto bad = [&](const std::string& why) {
        return Error("invalid subnet \"" + std::string(text) + "\": " + why);
    };
    auto slash = text.find('/');
    if (slash == std::string_view::npos) throw bad("expected ADDRESS/LENGTH");
    auto ip = Ipv4::try_parse(text.substr(0, slash));
    if (!ip) throw bad("bad address");
    auto len_text = text.substr(slash + 1);
    int length = -1;
    auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), length);
    if (ec != std::errc() || end != len_text.data() + len_text.size() || length < 0 ||
        length > 32) {
        throw bad("prefix length must be 0-32");
    }
    Prefix prefix{*ip, length};
    if ((ip->value & ~prefix.mask()) != 0) {
        if (!allow_host_bits) {
            prefix.address.value &= prefix.mask();
            throw bad("host bits set (did you mean " + prefix.str() + "?)");
        }
        prefix.address.value &= prefix.mask();
    }
    return prefix;
}

std::string Prefix::str() const {
    return address.str() + "/" + std::to_string(length);
}

}  // namespace berth::netns
