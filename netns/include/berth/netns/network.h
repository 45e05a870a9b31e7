// The persisted model of a network and its endpoints (one JSON file per network), and the
// docker-compatible `network inspect` view of it. Pure data: no kernel access.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "berth/netns/address.h"

namespace berth::netns {

struct PortMapping {
    Ipv4 host_ip;  // 0.0.0.0: every local address
    uint16_t host_port = 0;
    uint16_t container_port = 0;
    std::string protocol = "tcp";  // tcp | udp

    // "[HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]"; throws berth::Error naming the input.
    static PortMapping parse(const std::string& text);
    std::string str() const;
};

struct Endpoint {
    std::string container_id;
    std::string container_name;
    std::string endpoint_id;  // 64 hex
    std::string ifname;       // eth0, eth1... inside the container
    std::string host_veth;    // the bridge-side end
    std::string mac;
    std::string netns_path;  // the container's namespace mount
    Ipv4 ip;
    std::vector<std::string> aliases;
    std::vector<PortMapping> ports;
    // --dns: the servers berth-dns forwards this container's other names to (its container
    // names keep working); empty: the network's upstreams.
    std::vector<std::string> dns;
};

struct Network {
    std::string id;  // 64 hex
    std::string name;
    std::string created;  // RFC 3339
    std::string bridge;
    Prefix subnet;
    Ipv4 gateway;
    std::optional<Prefix> ip_range;
    Ipv4 ip_cursor;  // the last address handed out (allocation continues after it)
    bool internal = false;
    int mtu = 1500;
    std::map<std::string, std::string> options;
    std::map<std::string, std::string> labels;
    std::map<std::string, Endpoint> endpoints;  // by container id

    const Endpoint* endpoint_of(const std::string& container_id) const;
};

nlohmann::json to_json(const Network& network);
Network network_from_json(const nlohmann::json& json, const std::string& origin);
// `docker network inspect` shape: Name, Id, Created, Scope, Driver, EnableIPv6, IPAM, Internal,
// Attachable, Containers, Options, Labels.
nlohmann::json inspect_view(const Network& network);

}  // namespace berth::netns
