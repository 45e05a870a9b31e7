// Builds the answer table from the record files, precomputing every answer record.
#include "dns_zone.h"

#include <arpa/inet.h>

#include <algorithm>
#include <set>

#include "berth/netns/dns_message.h"

namespace berth::netns {

namespace {

std::string lower_wire(const std::string& dotted) {
    std::string wire;
    dns::encode_name(dotted, wire, /*strict=*/false);  // validated by the file parser
    dns::lowercase_ascii(reinterpret_cast<std::uint8_t*>(wire.data()), wire.size());
    return wire;
}

void append_rr_head(std::string& out, std::uint16_t type, std::uint16_t rdlength) {
    std::uint8_t head[12];
    dns::write_u16(head, 0xC00C);  // the owner is the question's name
    dns::write_u16(head + 2, type);
    dns::write_u16(head + 4, dns::kClassIn);
    dns::write_u16(head + 6, static_cast<std::uint16_t>(kDnsRecordTtl >> 16));
    dns::write_u16(head + 8, static_cast<std::uint16_t>(kDnsRecordTtl));
    dns::write_u16(head + 10, rdlength);
    out.append(reinterpret_cast<const char*>(head), sizeof head);
}

std::string reverse_name(std::uint32_t address_host_order) {
    return std::to_string(address_host_order & 0xFF) + "." +
           std::to_string((address_host_order >> 8) & 0xFF) + "." +
           std::to_string((address_host_order >> 16) & 0xFF) + "." +
           std::to_string(address_host_order >> 24) + ".in-addr.arpa";
}

// Collects, per view, the distinct addresses of each name and the PTR targets of each
// address before rendering them.
struct ViewDraft {
    std::map<std::string, std::vector<std::uint32_t>> addresses;  // wire name -> IPs (net order)
    std::map<std::string, std::vector<std::string>> ptr_targets;  // wire name -> target wires
    std::set<std::string> domains;
    std::vector<sockaddr_in> upstreams;
    std::vector<std::string> networks;
};

void add_address(ViewDraft& draft, const std::string& wire, std::uint32_t ip) {
    auto& list = draft.addresses[wire];
    if (std::find(list.begin(), list.end(), ip) == list.end()) list.push_back(ip);
}

bool same_endpoint(const sockaddr_in& a, const sockaddr_in& b) {
    return a.sin_addr.s_addr == b.sin_addr.s_addr && a.sin_port == b.sin_port;
}

}  // namespace

ZoneEntry& NameTable::at(const std::string& key) {
    auto [it, inserted] = building_.emplace(key, static_cast<std::uint32_t>(entries_.size()));
    if (inserted) entries_.emplace_back();
    return entries_[it->second];
}

void NameTable::freeze() {
    std::size_t capacity = 16;
    while (capacity < building_.size() * 2) capacity *= 2;
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (const auto& [key, entry] : building_) {
        std::uint64_t h = hash(key);
        std::size_t i = h & mask_;
        while (slots_[i].entry != kEmpty) i = (i + 1) & mask_;
        slots_[i] = {h, static_cast<std::uint32_t>(keys_.size()), entry,
                     static_cast<std::uint16_t>(key.size())};
        keys_ += key;
    }
    building_.clear();
}

bool parse_upstream(const std::string& text, sockaddr_in& out) {
    out = sockaddr_in{};
    out.sin_family = AF_INET;
    std::string host = text;
    unsigned port = 53;
    if (auto colon = text.find(':'); colon != std::string::npos) {
        host = text.substr(0, colon);
        std::string digits = text.substr(colon + 1);
        if (digits.empty() || digits.size() > 5 ||
            digits.find_first_not_of("0123456789") != std::string::npos)
            return false;
        port = static_cast<unsigned>(std::stoul(digits));
        if (port == 0 || port > 65535) return false;
    }
    out.sin_port = htons(static_cast<std::uint16_t>(port));
    return inet_pton(AF_INET, host.c_str(), &out.sin_addr) == 1;
}

namespace {

// The names of one network file, before rendering.
ViewDraft draft_network(const std::string& network, const DnsNetworkFile& file,
                        const std::vector<std::string>& default_upstreams) {
    ViewDraft draft;
    draft.networks.push_back(network);
    if (!file.domain.empty()) draft.domains.insert(lower_wire(file.domain));
    for (const std::string& text : file.upstreams.empty() ? default_upstreams : file.upstreams) {
        sockaddr_in upstream;
        if (parse_upstream(text, upstream)) draft.upstreams.push_back(upstream);
    }
    for (const DnsRecord& record : file.records) {
        in_addr ip{};
        if (inet_pton(AF_INET, record.ipv4.c_str(), &ip) != 1) continue;
        std::vector<std::string> names = {record.name};
        names.insert(names.end(), record.aliases.begin(), record.aliases.end());
        for (const std::string& name : names) {
            add_address(draft, lower_wire(name), ip.s_addr);
            if (!file.domain.empty())
                add_address(draft, lower_wire(name + "." + file.domain), ip.s_addr);
        }
        std::string target = file.domain.empty() ? record.name : record.name + "." + file.domain;
        auto& targets = draft.ptr_targets[lower_wire(reverse_name(ntohl(ip.s_addr)))];
        std::string target_wire;
        dns::encode_name(target, target_wire, false);  // PTR keeps the name's case
        if (std::find(targets.begin(), targets.end(), target_wire) == targets.end())
            targets.push_back(target_wire);
    }
    return draft;
}

void add_upstream(std::vector<sockaddr_in>& list, const sockaddr_in& upstream) {
    bool known = std::any_of(list.begin(), list.end(),
                             [&](const sockaddr_in& u) { return same_endpoint(u, upstream); });
    if (!known) list.push_back(upstream);
}

void merge_into(ViewDraft& into, const ViewDraft& from) {
    for (const auto& [wire, ips] : from.addresses)
        for (std::uint32_t ip : ips) add_address(into, wire, ip);
    for (const auto& [wire, targets] : from.ptr_targets) {
        auto& list = into.ptr_targets[wire];
        for (const auto& target : targets)
            if (std::find(list.begin(), list.end(), target) == list.end()) list.push_back(target);
    }
    into.domains.insert(from.domains.begin(), from.domains.end());
    for (const sockaddr_in& upstream : from.upstreams) add_upstream(into.upstreams, upstream);
    into.networks.insert(into.networks.end(), from.networks.begin(), from.networks.end());
}

std::shared_ptr<const ZoneView> render(const ViewDraft& draft,
                                       const std::vector<sockaddr_in>& own_endpoints) {
    auto view = std::make_shared<ZoneView>();
    view->networks = draft.networks;
    view->domains.assign(draft.domains.begin(), draft.domains.end());
    for (const sockaddr_in& upstream : draft.upstreams) {
        bool loops =
            std::any_of(own_endpoints.begin(), own_endpoints.end(),
                        [&](const sockaddr_in& self) { return same_endpoint(self, upstream); });
        if (!loops) view->upstreams.push_back(upstream);
    }
    for (const auto& [wire, ips] : draft.addresses) {
        ZoneEntry& entry = view->names.at(wire);
        for (std::uint32_t ip : ips) {
            append_rr_head(entry.a_records, dns::kTypeA, 4);
            entry.a_records.append(reinterpret_cast<const char*>(&ip), 4);  // net order
            ++entry.a_count;
        }
    }
    for (const auto& [wire, targets] : draft.ptr_targets) {
        ZoneEntry& entry = view->names.at(wire);
        for (const std::string& target : targets) {
            append_rr_head(entry.ptr_records, dns::kTypePtr,
                           static_cast<std::uint16_t>(target.size()));
            entry.ptr_records += target;
            ++entry.ptr_count;
        }
    }
    view->names.freeze();
    return view;
}

// What one container is, across the record files.
struct ClientDraft {
    std::vector<std::string> networks;
    std::vector<std::uint32_t> addresses;  // its record addresses (net order): the client keys
    std::vector<sockaddr_in> upstreams;    // its own (--dns), in the order given
};

}  // namespace

std::shared_ptr<const ZoneTable> build_zone_table(
    const std::map<std::string, DnsNetworkFile>& files,
    const std::vector<std::string>& default_upstreams, std::uint16_t port,
    std::uint64_t generation) {
    std::map<std::string, ViewDraft> by_network;
    std::map<std::uint32_t, std::vector<std::string>> networks_at;  // listen address -> networks
    std::map<std::string, ClientDraft> clients;                     // container id -> client
    std::vector<sockaddr_in> own_endpoints;
    for (const auto& [network, file] : files) {
        bool listens = false;
        for (const std::string& listen : file.listen) {
            in_addr addr{};
            if (inet_pton(AF_INET, listen.c_str(), &addr) != 1) continue;
            sockaddr_in self{};
            self.sin_family = AF_INET;
            self.sin_addr = addr;
            self.sin_port = htons(port);
            own_endpoints.push_back(self);
            networks_at[addr.s_addr].push_back(network);
            listens = true;
        }
        if (!listens) continue;
        by_network.emplace(network, draft_network(network, file, default_upstreams));
        for (const DnsRecord& record : file.records) {
            in_addr ip{};
            if (record.container.empty() || inet_pton(AF_INET, record.ipv4.c_str(), &ip) != 1)
                continue;
            ClientDraft& client = clients[record.container];
            if (std::find(client.networks.begin(), client.networks.end(), network) ==
                client.networks.end())
                client.networks.push_back(network);
            client.addresses.push_back(ip.s_addr);
            for (const std::string& text : record.upstreams) {
                sockaddr_in upstream;
                if (parse_upstream(text, upstream)) add_upstream(client.upstreams, upstream);
            }
        }
    }

    auto table = std::make_shared<ZoneTable>();
    table->generation = generation;
    for (const auto& [address, networks] : networks_at) {
        ViewDraft merged;
        for (const std::string& network : networks) merge_into(merged, by_network.at(network));
        table->by_address[address] = render(merged, own_endpoints);
    }
    // Containers that need a view of their own: on several networks, or with --dns servers.
    for (const auto& [container, client] : clients) {
        if (client.networks.size() < 2 && client.upstreams.empty()) continue;
        ViewDraft merged;
        for (const std::string& network : client.networks)
            merge_into(merged, by_network.at(network));
        if (!client.upstreams.empty()) merged.upstreams = client.upstreams;
        std::shared_ptr<const ZoneView> view = render(merged, own_endpoints);
        for (std::uint32_t address : client.addresses) table->by_client[address] = view;
    }
    return table;
}

}  // namespace berth::netns
