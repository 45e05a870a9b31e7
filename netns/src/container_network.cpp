#include "berth/netns/container_network.h"

#include "berth/error.h"
#include "berth/netns/namespace.h"

namespace berth::netns {

std::vector<PortMapping> parse_port_mappings(const std::vector<std::string>& specs) {
    std::vector<PortMapping> out;
    for (const auto& spec : specs) out.push_back(PortMapping::parse(spec));
    return out;
}

ContainerNetwork connect_container(Networks& networks, const ContainerNetworkRequest& request) {
    if (request.network == kDefaultNetworkName) networks.ensure_default();
    // A namespace left behind by a crash of an earlier run of this container: start clean.
    if (is_netns_mount(networks.netns_path(request.container_id)))
        networks.release_container(request.container_id);
    AttachRequest attach;
    attach.container_id = request.container_id;
    attach.container_name = request.container_name;
    attach.network = request.network;
    attach.ip = request.ip;
    attach.aliases = request.aliases;
    attach.ports = request.ports;
    attach.dns = request.dns;
    Attachment got = networks.attach(attach);
    ContainerNetwork out;
    try {
        out.netns_path = got.endpoint.netns_path;
        out.hosts = networks.hosts(request.container_id, request.hostname);
        out.resolv_conf = networks.resolv_conf(request.container_id);
        out.settings = network_settings(networks, request.container_id);
    } catch (...) {
        networks.release_container(request.container_id);
        throw;
    }
    return out;
}

nlohmann::json network_settings(const Networks& networks, const std::string& container_id) {
    auto attachments = networks.attachments_of(container_id);
    nlohmann::json ports = nlohmann::json::object();
    nlohmann::json per_network = nlohmann::json::object();
    for (const auto& a : attachments) {
        const Endpoint& ep = a.endpoint;
        for (const auto& p : ep.ports) {
            std::string key = std::to_string(p.container_port) + "/" + p.protocol;
            if (!ports.contains(key)) ports[key] = nlohmann::json::array();
            ports[key].push_back({{"HostIp", p.host_ip.value ? p.host_ip.str() : "0.0.0.0"},
                                  {"HostPort", std::to_string(p.host_port)}});
        }
        per_network[a.network_name] = {{"NetworkID", a.network_id},
                                       {"EndpointID", ep.endpoint_id},
                                       {"Gateway", a.internal ? "" : a.gateway.str()},
                                       {"IPAddress", ep.ip.str()},
                                       {"IPPrefixLen", a.subnet.length},
                                       {"MacAddress", ep.mac},
                                       {"Aliases", ep.aliases},
                                       {"DNSNames", nlohmann::json::array({ep.container_name})}};
    }
    nlohmann::json out = {
        {"Bridge", ""},
        {"SandboxID", ""},
        {"SandboxKey", attachments.empty() ? "" : attachments[0].endpoint.netns_path},
        {"Ports", ports},
        {"IPAddress", ""},
        {"IPPrefixLen", 0},
        {"Gateway", ""},
        {"MacAddress", ""},
        {"Networks", per_network}};
    if (!attachments.empty()) {
        // The top-level fields describe the first network, as Docker shows them.
        const auto& first = attachments[0];
        out["IPAddress"] = first.endpoint.ip.str();
        out["IPPrefixLen"] = first.subnet.length;
        out["Gateway"] = first.internal ? "" : first.gateway.str();
        out["MacAddress"] = first.endpoint.mac;
    }
    return out;
}

}  // namespace berth::netns
