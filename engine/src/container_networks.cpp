// The networks a container record keeps (docker's NetworkSettings.Networks / EndpointsConfig):
// the first is network_mode with --ip and --network-alias, the others extra_networks.
#include <algorithm>

#include "berth/engine/container.h"

namespace berth::engine {
namespace {

bool is_named(const std::string& mode) {
    return mode != "none" && mode != "host";
}

}  // namespace

std::vector<NetworkEndpointConfig> recorded_networks(const HostConfig& h) {
    std::vector<NetworkEndpointConfig> out;
    if (!is_named(h.network_mode)) return out;
    out.push_back({h.network_mode, h.ipv4_address, h.network_aliases});
    out.insert(out.end(), h.extra_networks.begin(), h.extra_networks.end());
    return out;
}

bool records_network(const HostConfig& h, const std::string& network) {
    auto all = recorded_networks(h);
    return std::any_of(all.begin(), all.end(),
                       [&](const NetworkEndpointConfig& e) { return e.network == network; });
}

void add_recorded_network(HostConfig& h, NetworkEndpointConfig endpoint) {
    if (!is_named(h.network_mode)) {
        h.network_mode = endpoint.network;
        h.ipv4_address = endpoint.ipv4_address;
        h.network_aliases = endpoint.aliases;
        h.networks_disconnected = false;
        return;
    }
    h.extra_networks.push_back(std::move(endpoint));
}

bool remove_recorded_network(HostConfig& h, const std::string& network) {
    if (!is_named(h.network_mode)) return false;
    if (h.network_mode != network) {
        auto it =
            std::find_if(h.extra_networks.begin(), h.extra_networks.end(),
                         [&](const NetworkEndpointConfig& e) { return e.network == network; });
        if (it == h.extra_networks.end()) return false;
        h.extra_networks.erase(it);
        return true;
    }
    if (h.extra_networks.empty()) {
        h.network_mode = "none";
        h.ipv4_address.clear();
        h.network_aliases.clear();
        h.networks_disconnected = true;
        return true;
    }
    NetworkEndpointConfig next = h.extra_networks.front();
    h.extra_networks.erase(h.extra_networks.begin());
    h.network_mode = next.network;
    h.ipv4_address = next.ipv4_address;
    h.network_aliases = next.aliases;
    return true;
}

}  // namespace berth::engine
