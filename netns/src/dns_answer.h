// The per-query decision and answer, shared by the UDP and TCP paths: parse, look up, and
// write the response into a caller buffer without allocating.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "berth/netns/dns_message.h"
#include "dns_zone.h"

namespace berth::netns {

// xorshift64*: cheap per-worker randomness for answer order (not for anything secret).
struct FastRng {
    std::uint64_t state;
    std::uint64_t next() {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 2685821657736338717ull;
    }
    // Uniform enough in [0, bound) for bound <= 65536.
    std::uint32_t below(std::uint32_t bound) {
        return static_cast<std::uint32_t>(((next() >> 32) * bound) >> 32);
    }
};

enum class Outcome {
    kAnswer,   // `size` bytes of response are in the buffer
    kForward,  // not ours: send to the view's upstreams (the query is in `query`)
    kDrop,     // send nothing
};

struct AnswerResult {
    Outcome outcome = Outcome::kDrop;
    std::size_t size = 0;
    std::uint8_t rcode = 0;
};

// Response payload limit for UDP: 512 without EDNS, else the client's size capped at 4096.
std::size_t udp_response_limit(const dns::ParsedQuery& query);

// Answers `packet` from `view` (null: nothing is served on that address: REFUSED) into
// `out` (capacity `cap` = the UDP limit or 65535 for TCP). `query` receives the parse.
AnswerResult answer_query(const ZoneView* view, std::span<const std::uint8_t> packet,
                          dns::ParsedQuery& query, std::uint8_t* out, std::size_t cap, bool is_udp,
                          FastRng& rng);

// A response carrying only the header, the question of `query` and `rcode` (SERVFAIL for
// timed-out forwards). Returns its size (0 if `cap` is too small).
std::size_t write_error_response(std::span<const std::uint8_t> packet,
                                 const dns::ParsedQuery& query, std::uint8_t rcode,
                                 std::uint8_t* out, std::size_t cap);

}  // namespace berth::netns
