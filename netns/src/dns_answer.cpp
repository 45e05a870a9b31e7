// The query hot path: one parse, one hash lookup, memcpy of precomputed records.
#include "dns_answer.h"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace berth::netns {

namespace {

using namespace dns;

constexpr std::size_t kOptSize = 11;
constexpr std::uint16_t kOurUdpPayload = 1232;  // DNS flag day 2020: no fragmentation
constexpr std::size_t kMaxShuffle = 4096;       // 65535 / 16: every A record of a TCP answer

void write_header(std::uint8_t* out, std::uint16_t id, std::uint16_t query_flags,
                  std::uint16_t extra_flags, std::uint8_t rcode, std::uint16_t qd, std::uint16_t an,
                  std::uint16_t ar) {
    std::uint16_t flags =
        kFlagQr | (query_flags & (0x7800 | kFlagRd)) | kFlagRa | extra_flags | (rcode & 0xF);
    write_u16(out, id);
    write_u16(out + 2, flags);
    write_u16(out + 4, qd);
    write_u16(out + 6, an);
    write_u16(out + 8, 0);
    write_u16(out + 10, ar);
}

void write_opt(std::uint8_t* at, std::uint8_t ext_rcode) {
    at[0] = 0;
    write_u16(at + 1, kTypeOpt);
    write_u16(at + 3, kOurUdpPayload);
    at[5] = ext_rcode;
    at[6] = 0;  // version 0
    write_u16(at + 7, 0);
    write_u16(at + 9, 0);
}

AnswerResult header_only(const ParsedQuery& q, std::uint8_t rcode, bool with_opt,
                         std::uint8_t ext_rcode, std::uint8_t* out, std::size_t cap) {
    std::size_t size = kHeaderSize + (with_opt ? kOptSize : 0);
    if (cap < size) return {Outcome::kDrop, 0, rcode};
    write_header(out, q.id, q.flags, 0, rcode, 0, 0, with_opt ? 1 : 0);
    if (with_opt) write_opt(out + kHeaderSize, ext_rcode);
    return {Outcome::kAnswer, size, rcode};
}

bool is_single_label(const ParsedQuery& q) {
    return q.name_len > 1 && static_cast<std::size_t>(q.name[0]) + 2 == q.name_len;
}

// True when the name lies strictly under one of the view's domains (at a label boundary).
bool under_domain(const ParsedQuery& q, const ZoneView& view) {
    std::string_view name(reinterpret_cast<const char*>(q.name), q.name_len);
    for (const std::string& domain : view.domains) {
        if (domain.size() >= name.size()) continue;
        std::size_t pos = q.name[0] + 1u;
        while (pos < name.size() && name.size() - pos > domain.size()) pos += q.name[pos] + 1u;
        if (name.size() - pos == domain.size() && name.substr(pos) == domain) return true;
    }
    return false;
}

// Header + question (copied from the query, keeping its case) + answers + OPT.
AnswerResult answer_from_entry(const ZoneEntry* entry, std::span<const std::uint8_t> packet,
                               const ParsedQuery& q, std::uint8_t rcode, std::uint8_t* out,
                               std::size_t cap, FastRng& rng) {
    std::size_t question_size = q.question_end - kHeaderSize;
    std::size_t opt = q.has_edns ? kOptSize : 0;
    if (cap < kHeaderSize + question_size + opt)
        return header_only(q, kServFail, false, 0, out, cap);
    std::uint8_t* p = out + kHeaderSize;
    std::memcpy(p, packet.data() + kHeaderSize, question_size);
    p += question_size;
    std::size_t room = cap - (kHeaderSize + question_size + opt);
    std::uint16_t answers = 0;
    bool truncated = false;

    bool wants_a = q.qtype == kTypeA || q.qtype == kTypeAny;
    bool wants_ptr = q.qtype == kTypePtr || q.qtype == kTypeAny;
    if (entry && wants_a && entry->a_count > 0) {
        std::size_t n = std::min<std::size_t>(entry->a_count, kMaxShuffle);
        std::size_t fit = std::min(n, room / kARecordSize);
        truncated = fit < entry->a_count;
        const char* records = entry->a_records.data();
        if (n == 1) {
            if (fit == 1) std::memcpy(p, records, kARecordSize);
        } else {
            // Partial Fisher-Yates: the first `fit` positions of a random permutation.
            std::uint16_t order[kMaxShuffle];
            for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::uint16_t>(i);
            for (std::size_t i = 0; i < fit; ++i) {
                std::size_t j = i + rng.below(static_cast<std::uint32_t>(n - i));
                std::swap(order[i], order[j]);
                std::memcpy(p + i * kARecordSize, records + order[i] * kARecordSize, kARecordSize);
            }
        }
        p += fit * kARecordSize;
        room -= fit * kARecordSize;
        answers = static_cast<std::uint16_t>(answers + fit);
    }
    if (entry && wants_ptr && entry->ptr_count > 0) {
        const std::string& all = entry->ptr_records;
        std::size_t pos = 0;
        for (std::uint16_t i = 0; i < entry->ptr_count; ++i) {
            std::size_t size = 12 + read_u16(reinterpret_cast<const std::uint8_t*>(&all[pos + 10]));
            if (size > room) {
                truncated = true;
                break;
            }
            std::memcpy(p, all.data() + pos, size);
            p += size;
            room -= size;
            pos += size;
            ++answers;
        }
    }
    if (q.has_edns) {
        write_opt(p, 0);
        p += kOptSize;
    }
    std::uint16_t authority = (rcode == kNoError || rcode == kNxDomain) ? kFlagAa : 0;
    write_header(out, q.id, q.flags, authority | (truncated ? kFlagTc : 0), rcode, 1, answers,
                 q.has_edns ? 1 : 0);
    return {Outcome::kAnswer, static_cast<std::size_t>(p - out), rcode};
}

}  // namespace

std::size_t udp_response_limit(const ParsedQuery& query) {
    if (!query.has_edns) return kClassicUdpPayload;
    return std::min<std::size_t>(query.edns_udp_size, 4096);
}

AnswerResult answer_query(const ZoneView* view, std::span<const std::uint8_t> packet,
                          ParsedQuery& q, std::uint8_t* out, std::size_t cap, bool is_udp,
                          FastRng& rng) {
    switch (parse_query(packet, q)) {
        case QueryCheck::kDrop:
            return {Outcome::kDrop, 0, 0};
        case QueryCheck::kFormErr:
            return header_only(q, kFormErr, false, 0, out, cap);
        case QueryCheck::kNotImp:
            return header_only(q, kNotImp, false, 0, out, cap);
        case QueryCheck::kBadVers:
            return header_only(q, 0, true, 1, out, cap);  // BADVERS=16
        case QueryCheck::kOk:
            break;
    }
    if (is_udp) cap = std::min(cap, udp_response_limit(q));
    if (!view) return answer_from_entry(nullptr, packet, q, kRefused, out, cap, rng);
    if (q.qclass != kClassIn && q.qclass != 255)
        return answer_from_entry(nullptr, packet, q, kRefused, out, cap, rng);

    const ZoneEntry* entry =
        view->names.find(std::string_view(reinterpret_cast<const char*>(q.name), q.name_len));
    if (entry) return answer_from_entry(entry, packet, q, kNoError, out, cap, rng);
    if (is_single_label(q) || under_domain(q, *view))
        return answer_from_entry(nullptr, packet, q, kNxDomain, out, cap, rng);
    if (view->upstreams.empty())
        return answer_from_entry(nullptr, packet, q, kServFail, out, cap, rng);
    return {Outcome::kForward, 0, 0};
}

std::size_t write_error_response(std::span<const std::uint8_t> packet, const ParsedQuery& q,
                                 std::uint8_t rcode, std::uint8_t* out, std::size_t cap) {
    FastRng unused{1};
    AnswerResult r = answer_from_entry(nullptr, packet, q, rcode, out, cap, unused);
    return r.outcome == Outcome::kAnswer ? r.size : 0;
}

}  // namespace berth::netns
