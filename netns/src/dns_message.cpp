// DNS wire format: name codec, the server's strict query parser and the general parser.
#include "berth/netns/dns_message.h"

#include <cstdio>

namespace berth::netns::dns {

namespace {

bool is_hostname_byte(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

std::uint8_t to_lower(std::uint8_t c) {
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

// Skips one resource record at `offset` (name, fixed part, rdata) with every bound checked.
bool skip_rr(std::span<const std::uint8_t> msg, std::size_t& offset, std::uint16_t& type,
             std::uint16_t& cls, std::uint32_t& ttl, std::size_t& rdata_offset,
             std::size_t& rdata_len) {
    std::uint8_t scratch[kMaxNameWire];
    std::size_t scratch_len = 0;
    if (!read_name(msg, offset, scratch, scratch_len)) return false;
    if (msg.size() - offset < 10) return false;
    const std::uint8_t* p = msg.data() + offset;
    type = read_u16(p);
    cls = read_u16(p + 2);
    ttl = (std::uint32_t{read_u16(p + 4)} << 16) | read_u16(p + 6);
    rdata_len = read_u16(p + 8);
    offset += 10;
    if (msg.size() - offset < rdata_len) return false;
    rdata_offset = offset;
    offset += rdata_len;
    return true;
}

bool fail(std::string* error, const char* reason) {
    if (error) *error = reason;
    return false;
}

}  // namespace

void lowercase_ascii(std::uint8_t* data, std::size_t len) {
    for (std::size_t i = 0; i < len; ++i) data[i] = to_lower(data[i]);
}

bool encode_name(std::string_view dotted, std::string& wire, bool strict) {
    wire.clear();
    if (!dotted.empty() && dotted.back() == '.') dotted.remove_suffix(1);
    while (!dotted.empty()) {
        std::size_t dot = dotted.find('.');
        std::string_view label = dotted.substr(0, dot);
        if (label.empty() || label.size() > kMaxLabel) return false;
        if (strict) {
            for (char c : label)
                if (!is_hostname_byte(c)) return false;
        }
        wire.push_back(static_cast<char>(label.size()));
        wire.append(label);
        if (dot == std::string_view::npos) break;
        dotted.remove_prefix(dot + 1);
        if (dotted.empty()) return false;  // "a..": an empty label before the final dot
    }
    wire.push_back('\0');
    return wire.size() <= kMaxNameWire;
}

std::string wire_name_to_text(std::span<const std::uint8_t> wire) {
    std::string text;
    std::size_t i = 0;
    while (i < wire.size() && wire[i] != 0) {
        std::size_t len = wire[i++];
        for (std::size_t j = 0; j < len && i < wire.size(); ++j, ++i) {
            unsigned char c = wire[i];
            if (c == '.' || c == '\\') {
                text.push_back('\\');
                text.push_back(static_cast<char>(c));
            } else if (c < 0x21 || c > 0x7e) {
                char buf[5];
                std::snprintf(buf, sizeof buf, "\\%03u", c);
                text += buf;
            } else {
                text.push_back(static_cast<char>(c));
            }
        }
        text.push_back('.');
    }
    return text.empty() ? "." : text;
}

bool read_name(std::span<const std::uint8_t> msg, std::size_t& offset, std::uint8_t* out,
               std::size_t& out_len) {
    std::size_t pos = offset;
    std::size_t end_of_name = 0;  // where the caller continues: after the first pointer
    bool jumped = false;
    std::size_t floor = pos;  // a pointer must point strictly before the label that holds it
    out_len = 0;
    for (;;) {
        if (pos >= msg.size()) return false;
        std::uint8_t len = msg[pos];
        if ((len & 0xC0) == 0xC0) {
            if (pos + 1 >= msg.size()) return false;
            std::size_t target = (std::size_t{len & 0x3Fu} << 8) | msg[pos + 1];
            if (target >= floor) return false;  // forward or self pointer: could loop
            if (!jumped) end_of_name = pos + 2;
            jumped = true;
            floor = target;
            pos = target;
            continue;
        }
        if (len & 0xC0) return false;  // 0x40/0x80: extended label types, not supported
        if (len == 0) {
            if (out_len + 1 > kMaxNameWire) return false;
            out[out_len++] = 0;
            offset = jumped ? end_of_name : pos + 1;
            return true;
        }
        if (msg.size() - pos - 1 < len) return false;
        if (out_len + 1 + len + 1 > kMaxNameWire) return false;
        out[out_len++] = len;
        for (std::size_t i = 0; i < len; ++i) out[out_len++] = msg[pos + 1 + i];
        pos += 1 + len;
    }
}

QueryCheck parse_query(std::span<const std::uint8_t> packet, ParsedQuery& out) {
    if (packet.size() < kHeaderSize) return QueryCheck::kDrop;
    const std::uint8_t* p = packet.data();
    out.id = read_u16(p);
    out.flags = read_u16(p + 2);
    out.has_edns = false;
    out.name_len = 0;
    if (out.flags & kFlagQr) return QueryCheck::kDrop;
    if (opcode_of(out.flags) != 0) return QueryCheck::kNotImp;
    std::uint16_t qdcount = read_u16(p + 4), ancount = read_u16(p + 6);
    std::uint16_t nscount = read_u16(p + 8), arcount = read_u16(p + 10);
    if (qdcount != 1 || ancount != 0 || nscount != 0) return QueryCheck::kFormErr;

    // The question name: plain labels only (a pointer could only point into the header).
    std::size_t pos = kHeaderSize;
    for (;;) {
        if (pos >= packet.size()) return QueryCheck::kFormErr;
        std::uint8_t len = p[pos];
        if (len > kMaxLabel) return QueryCheck::kFormErr;
        if (out.name_len + 1 + len > kMaxNameWire) return QueryCheck::kFormErr;
        if (packet.size() - pos - 1 < len) return QueryCheck::kFormErr;
        out.name[out.name_len++] = len;
        for (std::size_t i = 0; i < len; ++i) out.name[out.name_len++] = to_lower(p[pos + 1 + i]);
        pos += 1 + len;
        if (len == 0) break;
    }
    if (packet.size() - pos < 4) return QueryCheck::kFormErr;
    out.qtype = read_u16(p + pos);
    out.qclass = read_u16(p + pos + 2);
    pos += 4;
    out.question_end = pos;

    bool bad_version = false;
    for (std::uint16_t i = 0; i < arcount; ++i) {
        std::size_t name_at = pos;
        std::uint16_t type, cls;
        std::uint32_t ttl;
        std::size_t rdata_offset, rdata_len;
        if (!skip_rr(packet, pos, type, cls, ttl, rdata_offset, rdata_len))
            return QueryCheck::kFormErr;
        if (type != kTypeOpt) continue;
        // RFC 6891 6.1.1: one OPT at most, owned by the root name.
        if (out.has_edns || p[name_at] != 0) return QueryCheck::kFormErr;
        out.has_edns = true;
        out.edns_udp_size = cls < kClassicUdpPayload ? kClassicUdpPayload : cls;
        out.edns_version = static_cast<std::uint8_t>(ttl >> 16);
        if (out.edns_version != 0) bad_version = true;
    }
    return bad_version ? QueryCheck::kBadVers : QueryCheck::kOk;
}

bool parse_message(std::span<const std::uint8_t> packet, Message& out, std::string* error) {
    out = Message{};
    if (packet.size() < kHeaderSize) return fail(error, "shorter than a DNS header");
    const std::uint8_t* p = packet.data();
    out.id = read_u16(p);
    out.flags = read_u16(p + 2);
    std::uint16_t counts[4] = {read_u16(p + 4), read_u16(p + 6), read_u16(p + 8), read_u16(p + 10)};
    std::size_t pos = kHeaderSize;
    std::uint8_t name[kMaxNameWire];
    std::size_t name_len = 0;
    for (std::uint16_t i = 0; i < counts[0]; ++i) {
        if (!read_name(packet, pos, name, name_len)) return fail(error, "bad question name");
        if (packet.size() - pos < 4) return fail(error, "truncated question");
        out.questions.push_back(
            {wire_name_to_text({name, name_len}), read_u16(p + pos), read_u16(p + pos + 2)});
        pos += 4;
    }
    std::vector<ResourceRecord>* sections[3] = {&out.answers, &out.authority, &out.additional};
    for (int s = 0; s < 3; ++s) {
        for (std::uint16_t i = 0; i < counts[s + 1]; ++i) {
            std::size_t name_pos = pos;
            if (!read_name(packet, name_pos, name, name_len)) return fail(error, "bad RR name");
            ResourceRecord rr;
            rr.name = wire_name_to_text({name, name_len});
            std::size_t rdata_offset, rdata_len;
            if (!skip_rr(packet, pos, rr.type, rr.cls, rr.ttl, rdata_offset, rdata_len))
                return fail(error, "truncated resource record");
            rr.rdata.assign(p + rdata_offset, p + rdata_offset + rdata_len);
            if (rr.type == kTypePtr || rr.type == kTypeCname || rr.type == kTypeNs) {
                std::size_t target_pos = rdata_offset;
                if (!read_name(packet, target_pos, name, name_len) ||
                    target_pos != rdata_offset + rdata_len)
                    return fail(error, "bad target name in rdata");
                rr.target = wire_name_to_text({name, name_len});
            }
            if (rr.type == kTypeA && rdata_len != 4) return fail(error, "A rdata is not 4 bytes");
            if (rr.type == kTypeAaaa && rdata_len != 16)
                return fail(error, "AAAA rdata is not 16 bytes");
            sections[s]->push_back(std::move(rr));
        }
    }
    return true;
}

}  // namespace berth::netns::dns
