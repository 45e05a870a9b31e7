// DNS wire format (RFC 1035) of our own: the server's allocation-free query parser, a general
// message parser (for upstream replies and tests) and a builder with name compression.
// Every reader bounds-checks each byte it touches: a malformed packet yields an error result,
// never a read past the buffer, and compression pointers may only point backwards (no loops).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace berth::netns::dns {

inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::size_t kMaxNameWire = 255;  // RFC 1035 2.3.4, incl. the root byte
inline constexpr std::size_t kMaxLabel = 63;
inline constexpr std::size_t kClassicUdpPayload = 512;
inline constexpr std::size_t kMaxMessage = 65535;

enum Rcode : std::uint8_t {
    kNoError = 0,
    kFormErr = 1,
    kServFail = 2,
    kNxDomain = 3,
    kNotImp = 4,
    kRefused = 5,
};

enum Type : std::uint16_t {
    kTypeA = 1,
    kTypeNs = 2,
    kTypeCname = 5,
    kTypeSoa = 6,
    kTypePtr = 12,
    kTypeMx = 15,
    kTypeTxt = 16,
    kTypeAaaa = 28,
    kTypeSrv = 33,
    kTypeOpt = 41,
    kTypeAny = 255,
};
inline constexpr std::uint16_t kClassIn = 1;

// Header flag bits (second 16-bit word).
inline constexpr std::uint16_t kFlagQr = 0x8000;
inline constexpr std::uint16_t kFlagAa = 0x0400;
inline constexpr std::uint16_t kFlagTc = 0x0200;
inline constexpr std::uint16_t kFlagRd = 0x0100;
inline constexpr std::uint16_t kFlagRa = 0x0080;
inline constexpr std::uint16_t opcode_of(std::uint16_t flags) {
    return (flags >> 11) & 0xF;
}
inline constexpr std::uint8_t rcode_of(std::uint16_t flags) {
    return flags & 0xF;
}

inline std::uint16_t read_u16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline void write_u16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}

// Dotted name ("Web.mynet", trailing dot optional) -> wire labels with the root byte. Returns
// false for an empty label, a label > 63 bytes, a wire name > 255 bytes, or (when `strict`)
// a byte outside [A-Za-z0-9_-]. The name "." (or "") is the root.
bool encode_name(std::string_view dotted, std::string& wire, bool strict = true);
// Wire name (no compression) -> "web.mynet." (escaping '.' and non-printables as \DDD).
std::string wire_name_to_text(std::span<const std::uint8_t> wire);
// ASCII lower-case copy in place (DNS names compare case-insensitively, RFC 4343).
void lowercase_ascii(std::uint8_t* data, std::size_t len);

// --- The server's query parser: no allocation --------------------------------------------
struct ParsedQuery {
    std::uint16_t id = 0;
    std::uint16_t flags = 0;
    std::uint16_t qtype = 0;
    std::uint16_t qclass = 0;
    std::uint8_t name[kMaxNameWire];  // the question name, lower-cased wire form
    std::size_t name_len = 0;         // incl. the root byte
    std::size_t question_end = 0;     // offset just after the question in the packet
    bool has_edns = false;
    std::uint16_t edns_udp_size = 0;  // requestor's payload size (>= 512 once clamped)
    std::uint8_t edns_version = 0;
};

enum class QueryCheck {
    kOk,
    kDrop,     // shorter than a header, or a response (QR set): never answered
    kFormErr,  // answer FORMERR (the header's id is in `id`)
    kNotImp,   // opcode other than QUERY: answer NOTIMP
    kBadVers,  // EDNS version > 0: answer BADVERS (extended rcode 16) with an OPT
};
QueryCheck parse_query(std::span<const std::uint8_t> packet, ParsedQuery& out);

// --- General message parser (upstream replies, tests) ------------------------------------
struct Question {
    std::string name;  // dotted, as sent (case kept), with a trailing '.'
    std::uint16_t type = 0;
    std::uint16_t cls = 0;
};
struct ResourceRecord {
    std::string name;  // dotted, compression resolved
    std::uint16_t type = 0;
    std::uint16_t cls = 0;
    std::uint32_t ttl = 0;
    std::vector<std::uint8_t> rdata;  // raw; for PTR/CNAME/NS see `target`
    std::string target;               // PTR/CNAME/NS target name, compression resolved
};
struct Message {
    std::uint16_t id = 0;
    std::uint16_t flags = 0;
    std::vector<Question> questions;
    std::vector<ResourceRecord> answers;
    std::vector<ResourceRecord> authority;
    std::vector<ResourceRecord> additional;
    std::uint8_t rcode() const { return rcode_of(flags); }
};
// Returns false (and a reason in *error when given) for any malformed message.
bool parse_message(std::span<const std::uint8_t> packet, Message& out,
                   std::string* error = nullptr);

// Reads a possibly compressed name at `offset` of `msg` into lower-or-original-case wire form
// (`out`, `out_len`, incl. root byte) and advances `offset` past the name's bytes in place.
bool read_name(std::span<const std::uint8_t> msg, std::size_t& offset, std::uint8_t* out,
               std::size_t& out_len);

// --- Builder with name compression --------------------------------------------------------
class MessageBuilder {
  public:
    explicit MessageBuilder(std::size_t max_size = kMaxMessage) : max_size_(max_size) {}
    void set_header(std::uint16_t id, std::uint16_t flags);
    // Each add_* returns false (and adds nothing) if the message would exceed max_size; the
    // caller then sets TC. Names are dotted text.
    bool add_question(std::string_view name, std::uint16_t type, std::uint16_t cls = kClassIn);
    bool add_answer(std::string_view name, std::uint16_t type, std::uint32_t ttl,
                    std::span<const std::uint8_t> rdata);
    bool add_a(std::string_view name, std::uint32_t ttl, const std::uint8_t ipv4[4]);
    bool add_name_rr(std::string_view name, std::uint16_t type, std::uint32_t ttl,
                     std::string_view target);  // PTR, CNAME, NS: target compressed too
    bool add_opt(std::uint16_t udp_payload, std::uint8_t ext_rcode = 0);
    void set_flag(std::uint16_t flag) { write_u16(&bytes_[2], read_u16(&bytes_[2]) | flag); }
    const std::vector<std::uint8_t>& bytes() const { return bytes_; }

  private:
    enum Section { kQuestion = 4, kAnswer = 6, kAuthority = 8, kAdditional = 10 };
    bool append_name(std::string_view name);
    bool append_rr_head(std::string_view name, std::uint16_t type, std::uint16_t cls,
                        std::uint32_t ttl);
    void bump(Section s) { write_u16(&bytes_[s], read_u16(&bytes_[s]) + 1); }
    std::size_t max_size_;
    std::vector<std::uint8_t> bytes_ = std::vector<std::uint8_t>(kHeaderSize, 0);
    std::vector<std::uint16_t> name_offsets_;  // where earlier names (and suffixes) start
};

}  // namespace berth::netns::dns
