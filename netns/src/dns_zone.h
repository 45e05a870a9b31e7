// The immutable table the workers answer from: one ZoneView per listen address, with every
// answer record precomputed as wire bytes. A reload builds a new table and swaps the pointer.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <cstring>
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

// Lower-cased wire name -> entry, as one open-addressing array (linear probing, power-of-two
// size, load <= 1/2) with the keys in one contiguous blob: a lookup is one hash, usually one
// probe and one memcmp, with no pointer chasing through nodes. Built once, then read-only.
class NameTable {
  public:
    static std::uint64_t hash(std::string_view key) noexcept {
        // FNV-1a: names are short; cheaper than std::hash's murmur for them.
        std::uint64_t h = 1469598103934665603ull;
        for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
        return h;
    }
    // Returns the entry for `key`, creating it (before freeze()) when missing.
    ZoneEntry& at(const std::string& key);
    void freeze();  // builds the probe array; at() must not be called afterwards
    const ZoneEntry* find(std::string_view key) const noexcept {
        if (slots_.empty()) return nullptr;
        std::uint64_t h = hash(key);
        for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
            const Slot& slot = slots_[i];
            if (slot.entry == kEmpty) return nullptr;
            if (slot.hash == h && slot.key_length == key.size() &&
                std::memcmp(keys_.data() + slot.key_offset, key.data(), key.size()) == 0)
                return &entries_[slot.entry];
        }
    }
    std::size_t size() const { return entries_.size(); }

  private:
    static constexpr std::uint32_t kEmpty = 0xFFFFFFFF;
    struct Slot {
        std::uint64_t hash = 0;
        std::uint32_t key_offset = 0;
        std::uint32_t entry = kEmpty;
        std::uint16_t key_length = 0;
    };
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
    std::string keys_;
    std::vector<ZoneEntry> entries_;
    std::map<std::string, std::uint32_t> building_;  // emptied by freeze()
};

struct ZoneView {
    // Keys: lower-cased wire names (labels + root byte).
    NameTable names;
    // Lower-cased wire suffixes ("\x05mynet\x00") under which unknown names are NXDOMAIN.
    std::vector<std::string> domains;
    std::vector<sockaddr_in> upstreams;
    std::vector<std::string> networks;  // which files fed this view (for logs)
};

struct ZoneTable {
    // Listen IPv4 address (network byte order) -> its view.
    std::map<std::uint32_t, std::shared_ptr<const ZoneView>> by_address;
    // Client IPv4 address (network byte order) -> the view of the container that owns it, for
    // the containers that need their own (several networks, --dns): see dns_records.h CLIENTS.
    std::unordered_map<std::uint32_t, std::shared_ptr<const ZoneView>> by_client;
    std::uint64_t generation = 0;

    // The view a query from `client` that arrived on a listener with `listener_view` gets.
    const std::shared_ptr<const ZoneView>& view_for(
        std::uint32_t client, const std::shared_ptr<const ZoneView>& listener_view) const {
        if (by_client.empty()) return listener_view;
        auto it = by_client.find(client);
        return it == by_client.end() ? listener_view : it->second;
    }
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
