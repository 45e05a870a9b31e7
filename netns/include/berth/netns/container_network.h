// What the engine needs to put a container on a network in one call: the namespace path for
// the OCI spec, the /etc/hosts and /etc/resolv.conf contents, and docker's NetworkSettings
// for inspect. Teardown is Networks::release_container.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "berth/netns/networks.h"

namespace berth::netns {

struct ContainerNetworkRequest {
    std::string container_id;
    std::string container_name;
    std::string hostname;
    std::string network;  // name or id; "bridge" is created on first use
    std::optional<Ipv4> ip;
    std::vector<std::string> aliases;
    std::vector<PortMapping> ports;
    std::vector<std::string> dns;  // --dns: berth-dns forwards this container's other names there
};

struct ContainerNetwork {
    std::string netns_path;
    std::string hosts;
    std::string resolv_conf;
    nlohmann::json settings;  // NetworkSettings
};

// Attaches the container (a fresh namespace, released first if one was left by a crash).
ContainerNetwork connect_container(Networks& networks, const ContainerNetworkRequest& request);
// docker's NetworkSettings from the container's current endpoints (empty when it has none).
nlohmann::json network_settings(const Networks& networks, const std::string& container_id);
// Parses -p values, --ip; throws berth::Error naming the bad one.
std::vector<PortMapping> parse_port_mappings(const std::vector<std::string>& specs);

}  // namespace berth::netns
