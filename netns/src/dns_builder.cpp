// MessageBuilder: appends questions and records, compressing every name against the names
// already in the message (RFC 1035 4.1.4).
#include <cstring>

#include "berth/netns/dns_message.h"

namespace berth::netns::dns {

namespace {

bool same_name_ci(const std::uint8_t* a, std::size_t a_len, const std::uint8_t* b,
                  std::size_t b_len) {
    if (a_len != b_len) return false;
    for (std::size_t i = 0; i < a_len; ++i) {
        std::uint8_t x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x += 32;
        if (y >= 'A' && y <= 'Z') y += 32;
        if (x != y) return false;
    }
    return true;
}

}  // namespace

void MessageBuilder::set_header(std::uint16_t id, std::uint16_t flags) {
    write_u16(&bytes_[0], id);
    write_u16(&bytes_[2], flags);
}

bool MessageBuilder::append_name(std::string_view name) {
    std::string wire;
    if (!encode_name(name, wire, /*strict=*/false)) return false;
    const auto* w = reinterpret_cast<const std::uint8_t*>(wire.data());
    std::size_t start_size = bytes_.size();
    std::vector<std::uint16_t> new_offsets;
    // For each suffix of the name (longest first), look for an earlier identical name.
    std::size_t i = 0;
    while (w[i] != 0) {
        const std::uint8_t* suffix = w + i;
        std::size_t suffix_len = wire.size() - i;
        for (std::uint16_t earlier : name_offsets_) {
            std::uint8_t decoded[kMaxNameWire];
            std::size_t decoded_len = 0, at = earlier;
            if (!read_name(bytes_, at, decoded, decoded_len)) continue;
            if (!same_name_ci(suffix, suffix_len, decoded, decoded_len)) continue;
            if (bytes_.size() + 2 > max_size_) {
                bytes_.resize(start_size);
                return false;
            }
            bytes_.push_back(static_cast<std::uint8_t>(0xC0 | (earlier >> 8)));
            bytes_.push_back(static_cast<std::uint8_t>(earlier));
            name_offsets_.insert(name_offsets_.end(), new_offsets.begin(), new_offsets.end());
            return true;
        }
        std::size_t label_len = w[i] + 1u;
        if (bytes_.size() + label_len > max_size_) {
            bytes_.resize(start_size);
            return false;
        }
        if (bytes_.size() < 0x3FFF)
            new_offsets.push_back(static_cast<std::uint16_t>(bytes_.size()));
        bytes_.insert(bytes_.end(), suffix, suffix + label_len);
        i += label_len;
    }
    if (bytes_.size() + 1 > max_size_) {
        bytes_.resize(start_size);
        return false;
    }
    bytes_.push_back(0);
    name_offsets_.insert(name_offsets_.end(), new_offsets.begin(), new_offsets.end());
    return true;
}

bool MessageBuilder::add_question(std::string_view name, std::uint16_t type, std::uint16_t cls) {
    std::size_t start = bytes_.size();
    std::size_t offsets = name_offsets_.size();
    if (!append_name(name) || bytes_.size() + 4 > max_size_) {
        bytes_.resize(start);
        name_offsets_.resize(offsets);
        return false;
    }
    std::uint8_t tail[4];
    write_u16(tail, type);
    write_u16(tail + 2, cls);
    bytes_.insert(bytes_.end(), tail, tail + 4);
    bump(kQuestion);
    return true;
}

bool MessageBuilder::append_rr_head(std::string_view name, std::uint16_t type, std::uint16_t cls,
                                    std::uint32_t ttl) {
    if (!append_name(name) || bytes_.size() + 10 > max_size_) return false;
    std::uint8_t fixed[8];
    write_u16(fixed, type);
    write_u16(fixed + 2, cls);
    write_u16(fixed + 4, static_cast<std::uint16_t>(ttl >> 16));
    write_u16(fixed + 6, static_cast<std::uint16_t>(ttl));
    bytes_.insert(bytes_.end(), fixed, fixed + 8);
    return true;
}

bool MessageBuilder::add_answer(std::string_view name, std::uint16_t type, std::uint32_t ttl,
                                std::span<const std::uint8_t> rdata) {
    std::size_t start = bytes_.size();
    std::size_t offsets = name_offsets_.size();
    if (rdata.size() > 0xFFFF || !append_rr_head(name, type, kClassIn, ttl) ||
        bytes_.size() + 2 + rdata.size() > max_size_) {
        bytes_.resize(start);
        name_offsets_.resize(offsets);
        return false;
    }
    std::uint8_t len[2];
    write_u16(len, static_cast<std::uint16_t>(rdata.size()));
    bytes_.insert(bytes_.end(), len, len + 2);
    bytes_.insert(bytes_.end(), rdata.begin(), rdata.end());
    bump(kAnswer);
    return true;
}

bool MessageBuilder::add_a(std::string_view name, std::uint32_t ttl, const std::uint8_t ipv4[4]) {
    return add_answer(name, kTypeA, ttl, {ipv4, 4});
}

bool MessageBuilder::add_name_rr(std::string_view name, std::uint16_t type, std::uint32_t ttl,
                                 std::string_view target) {
    std::size_t start = bytes_.size();
    std::size_t offsets = name_offsets_.size();
    if (!append_rr_head(name, type, kClassIn, ttl) || bytes_.size() + 2 > max_size_) {
        bytes_.resize(start);
        name_offsets_.resize(offsets);
        return false;
    }
    std::size_t len_at = bytes_.size();
    bytes_.resize(bytes_.size() + 2);
    if (!append_name(target)) {
        bytes_.resize(start);
        name_offsets_.resize(offsets);
        return false;
    }
    write_u16(&bytes_[len_at], static_cast<std::uint16_t>(bytes_.size() - len_at - 2));
    bump(kAnswer);
    return true;
}

bool MessageBuilder::add_opt(std::uint16_t udp_payload, std::uint8_t ext_rcode) {
    if (bytes_.size() + 11 > max_size_) return false;
    std::uint8_t opt[11] = {0};  // root name, type, class = payload, ttl = ext rcode/version
    write_u16(opt + 1, kTypeOpt);
    write_u16(opt + 3, udp_payload);
    opt[5] = ext_rcode;
    bytes_.insert(bytes_.end(), opt, opt + 11);
    bump(kAdditional);
    return true;
}

}  // namespace berth::netns::dns
