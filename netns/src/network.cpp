#include "berth/netns/network.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "berth/error.h"

namespace berth::netns {
namespace {

uint16_t parse_port(const std::string& text, const std::string& whole) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535)
        throw Error("invalid port mapping \"" + whole + "\": bad port \"" + text + "\"");
    return static_cast<uint16_t>(value);
}

nlohmann::json port_json(const PortMapping& port) {
    return {{"host_ip", port.host_ip.str()},
            {"host_port", port.host_port},
            {"container_port", port.container_port},
            {"protocol", port.protocol}};
}

}  // namespace

PortMapping PortMapping::parse(const std::string& text) {
    PortMapping port;
    std::string rest = text;
    if (auto slash = rest.rfind('/'); slash != std::string::npos) {
        port.protocol = rest.substr(slash + 1);
        rest.resize(slash);
        if (port.protocol != "tcp" && port.protocol != "udp")
            throw Error("invalid port mapping \"" + text + "\": protocol must be tcp or udp");
    }
    std::vector<std::string> parts;
    for (size_t start = 0;;) {
        size_t colon = rest.find(':', start);
        parts.push_back(rest.substr(start, colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    if (parts.size() == 3) {
        auto ip = Ipv4::try_parse(parts[0]);
        if (!ip) throw Error("invalid port mapping \"" + text + "\": bad host IP");
        port.host_ip = *ip;
        parts.erase(parts.begin());
    }
    if (parts.size() != 2)
        throw Error("invalid port mapping \"" + text +
                    "\": expected [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]");
    port.host_port = parse_port(parts[0], text);
    port.container_port = parse_port(parts[1], text);
    return port;
}

std::string PortMapping::str() const {
    std::string out = host_ip.value ? host_ip.str() + ":" : "";
    return out + std::to_string(host_port) + ":" + std::to_string(container_port) + "/" + protocol;
}

const Endpoint* Network::endpoint_of(const std::string& container_id) const {
    auto it = endpoints.find(container_id);
    return it == endpoints.end() ? nullptr : &it->second;
}

nlohmann::json to_json(const Network& network) {
    nlohmann::json endpoints = nlohmann::json::object();
    for (const auto& [id, ep] : network.endpoints) {
        nlohmann::json ports = nlohmann::json::array();
        for (const auto& port : ep.ports) ports.push_back(port_json(port));
        endpoints[id] = {{"container_name", ep.container_name},
                         {"endpoint_id", ep.endpoint_id},
                         {"ifname", ep.ifname},
                         {"host_veth", ep.host_veth},
                         {"mac", ep.mac},
                         {"netns", ep.netns_path},
                         {"ip", ep.ip.str()},
                         {"aliases", ep.aliases},
                         {"ports", ports}};
        if (!ep.dns.empty()) endpoints[id]["dns"] = ep.dns;
    }
    nlohmann::json out = {{"id", network.id},
                          {"name", network.name},
                          {"created", network.created},
                          {"bridge", network.bridge},
                          {"subnet", network.subnet.str()},
                          {"gateway", network.gateway.str()},
                          {"internal", network.internal},
                          {"mtu", network.mtu},
                          {"options", network.options},
                          {"labels", network.labels},
                          {"endpoints", endpoints}};
    if (network.ip_range) out["ip_range"] = network.ip_range->str();
    out["ip_cursor"] = network.ip_cursor.str();
    return out;
}

Network network_from_json(const nlohmann::json& json, const std::string& origin) {
    try {
        Network network;
        network.id = json.at("id").get<std::string>();
        network.name = json.at("name").get<std::string>();
        network.created = json.at("created").get<std::string>();
        network.bridge = json.at("bridge").get<std::string>();
        network.subnet = Prefix::parse(json.at("subnet").get<std::string>());
        network.gateway = Ipv4::parse(json.at("gateway").get<std::string>());
        if (json.contains("ip_range"))
            network.ip_range = Prefix::parse(json["ip_range"].get<std::string>());
        if (json.contains("ip_cursor"))
            network.ip_cursor = Ipv4::parse(json["ip_cursor"].get<std::string>());
        network.internal = json.at("internal").get<bool>();
        network.mtu = json.at("mtu").get<int>();
        network.options = json.at("options").get<std::map<std::string, std::string>>();
        network.labels = json.at("labels").get<std::map<std::string, std::string>>();
        for (const auto& [id, ep_json] : json.at("endpoints").items()) {
            Endpoint ep;
            ep.container_id = id;
            ep.container_name = ep_json.at("container_name").get<std::string>();
            ep.endpoint_id = ep_json.at("endpoint_id").get<std::string>();
            ep.ifname = ep_json.at("ifname").get<std::string>();
            ep.host_veth = ep_json.at("host_veth").get<std::string>();
            ep.mac = ep_json.at("mac").get<std::string>();
            ep.netns_path = ep_json.at("netns").get<std::string>();
            ep.ip = Ipv4::parse(ep_json.at("ip").get<std::string>());
            ep.aliases = ep_json.at("aliases").get<std::vector<std::string>>();
            if (ep_json.contains("dns")) ep.dns = ep_json["dns"].get<std::vector<std::string>>();
            for (const auto& p : ep_json.at("ports")) {
                PortMapping port;
                port.host_ip = Ipv4::parse(p.at("host_ip").get<std::string>());
                port.host_port = p.at("host_port").get<uint16_t>();
                port.container_port = p.at("container_port").get<uint16_t>();
                port.protocol = p.at("protocol").get<std::string>();
                ep.ports.push_back(port);
            }
            network.endpoints.emplace(id, std::move(ep));
        }
        return network;
    } catch (const nlohmann::json::exception& e) {
        throw Error("network record " + origin + ": " + e.what());
    }
}

nlohmann::json inspect_view(const Network& network) {
    nlohmann::json config = {{"Subnet", network.subnet.str()}, {"Gateway", network.gateway.str()}};
    if (network.ip_range) config["IPRange"] = network.ip_range->str();
    nlohmann::json containers = nlohmann::json::object();
    for (const auto& [id, ep] : network.endpoints) {
        containers[id] = {
            {"Name", ep.container_name},
            {"EndpointID", ep.endpoint_id},
            {"MacAddress", ep.mac},
            {"IPv4Address", ep.ip.str() + "/" + std::to_string(network.subnet.length)},
            {"IPv6Address", ""}};
    }
    nlohmann::json options = network.options;
    options["com.docker.network.bridge.name"] = network.bridge;
    options["com.docker.network.driver.mtu"] = std::to_string(network.mtu);
    return {{"Name", network.name},
            {"Id", network.id},
            {"Created", network.created},
            {"Scope", "local"},
            {"Driver", "bridge"},
            {"EnableIPv6", false},
            {"IPAM",
             {{"Driver", "default"},
              {"Options", nlohmann::json::object()},
              {"Config", nlohmann::json::array({config})}}},
            {"Internal", network.internal},
            {"Attachable", false},
            {"Containers", containers},
            {"Options", options},
            {"Labels", network.labels}};
}

}  // namespace berth::netns
