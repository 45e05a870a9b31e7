#include "network_setup.h"

#include <unistd.h>

#include <sstream>

#include "berth/error.h"
#include "berth/file_io.h"
#include "network_helper.h"

namespace berth::engine {
namespace {

std::string container_hostname(const ContainerRecord& r) {
    return r.config.hostname.empty() ? r.id.substr(0, 12) : r.config.hostname;
}

// The host's resolv.conf without loopback nameservers, which mean nothing in another netns
// (docker's rule); in `none` there is no route anywhere, so only search/options are kept.
std::string filtered_resolv_conf(bool keep_nameservers) {
    std::string host;
    try {
        host = read_file("/etc/resolv.conf");
    } catch (const Error&) {
    }
    std::istringstream in(host);
    std::string line, out;
    while (std::getline(in, line)) {
        bool nameserver = line.rfind("nameserver", 0) == 0;
        if (nameserver && (!keep_nameservers || line.find("127.") != std::string::npos ||
                           line.find("::1") != std::string::npos))
            continue;
        if (nameserver || line.rfind("search", 0) == 0 || line.rfind("options", 0) == 0)
            out += line + "\n";
    }
    return out;
}

}  // namespace

bool is_named_network(const std::string& mode) {
    return mode != "none" && mode != "host";
}

void validate_network_mode(const std::string& mode, const std::string& root) {
    if (!is_named_network(mode)) return;
    run_netns_helper(root, {"check", mode});  // "network NAME not found"
}

namespace {

std::string settings_file(const ContainerStore& store, const ContainerRecord& record) {
    return store.dir(record.id) + "/network-settings.json";
}

// berth-netns attach's --extra NAME[:IP[:ALIAS,ALIAS...]] (names, addresses and DNS aliases
// never hold ':' or ',').
std::string extra_spec(const NetworkEndpointConfig& e) {
    std::string spec = e.network;
    if (e.ipv4_address.empty() && e.aliases.empty()) return spec;
    spec += ":" + e.ipv4_address;
    for (size_t i = 0; i < e.aliases.size(); ++i) spec += (i ? "," : ":") + e.aliases[i];
    return spec;
}

// Attached by berth-netns at the last start: also true when `network disconnect` took the
// container's last network while it ran (its record then says none, its namespace is still
// there).
bool has_attachment(const ContainerStore& store, const ContainerRecord& record) {
    return is_named_network(record.host_config.network_mode) ||
           ::access(settings_file(store, record).c_str(), F_OK) == 0;
}

// A named network: berth-netns creates the namespace, the veth into the bridge, the address,
// the DNS record and the published ports, and says what /etc/hosts and resolv.conf hold.
NetworkAttachment setup_named_network(const ContainerStore& store, const ContainerRecord& record) {
    const HostConfig& h = record.host_config;
    std::string hostname = container_hostname(record);
    std::vector<std::string> args = {"attach", "--id",      record.id,
                                     "--name", record.name, "--hostname",
                                     hostname, "--network", h.network_mode};
    if (!h.ipv4_address.empty()) args.insert(args.end(), {"--ip", h.ipv4_address});
    for (const auto& a : h.network_aliases) args.insert(args.end(), {"--alias", a});
    // The networks `network connect` added, after the first (eth1, eth2, ...).
    for (const auto& extra : h.extra_networks)
        args.insert(args.end(), {"--extra", extra_spec(extra)});
    for (const auto& p : h.port_bindings) args.insert(args.end(), {"--publish", p});
    for (const auto& d : h.dns) args.insert(args.end(), {"--dns", d});
    nlohmann::json got = nlohmann::json::parse(run_netns_helper(store.root(), args));
    NetworkAttachment a;
    a.netns_path = got.at("netns_path").get<std::string>();
    a.hosts = got.at("hosts").get<std::string>();
    a.resolv_conf = got.at("resolv_conf").get<std::string>();
    a.hostname = hostname + "\n";
    a.settings = got.at("settings");
    write_file_atomic(settings_file(store, record), a.settings.dump(), 0644);
    return a;
}

}  // namespace

NetworkAttachment setup_network(const ContainerStore& store, const ContainerRecord& record) {
    const std::string& mode = record.host_config.network_mode;
    if (is_named_network(mode)) return setup_named_network(store, record);
    NetworkAttachment a;
    a.hostname = container_hostname(record) + "\n";
    if (mode == "host") {
        a.host = true;
        try {
            a.hosts = read_file("/etc/hosts");
        } catch (const Error&) {
            a.hosts = "127.0.0.1\tlocalhost\n";
        }
        try {
            a.resolv_conf = read_file("/etc/resolv.conf");
        } catch (const Error&) {
        }
    } else {
        a.hosts =
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
            "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
            "ff02::2\tip6-allrouters\n";
        a.resolv_conf = filtered_resolv_conf(false);
    }
    a.settings = idle_network_settings(record);
    return a;
}

void teardown_network(const ContainerStore& store, const ContainerRecord& record) {
    if (!has_attachment(store, record)) return;
    ::unlink(settings_file(store, record).c_str());
    run_netns_helper(store.root(), {"release", "--id", record.id});
}

nlohmann::json network_settings(const ContainerStore& store, const ContainerRecord& record) {
    if (has_attachment(store, record)) {
        try {
            return nlohmann::json::parse(read_file(settings_file(store, record)));
        } catch (const std::exception&) {
            // Not running: the idle view below.
        }
    }
    return idle_network_settings(record);
}

nlohmann::json idle_network_settings(const ContainerRecord& record) {
    auto endpoint = [](const std::string& id, const std::vector<std::string>& aliases) {
        return nlohmann::json{
            {"NetworkID", id},
            {"IPAddress", ""},
            {"Gateway", ""},
            {"MacAddress", ""},
            {"Aliases", aliases.empty() ? nlohmann::json(nullptr) : nlohmann::json(aliases)}};
    };
    // Every recorded network, as docker lists a stopped container's networks (no addresses:
    // those are given at the next start).
    nlohmann::json networks = nlohmann::json::object();
    const std::string& mode = record.host_config.network_mode;
    // (None at all once `network disconnect` took the last one, as docker shows it.)
    if (!is_named_network(mode) && !record.host_config.networks_disconnected)
        networks[mode] = endpoint(mode, {});
    for (const auto& e : recorded_networks(record.host_config))
        networks[e.network] = endpoint(e.network, e.aliases);
    return {{"Bridge", ""},     {"SandboxID", ""},
            {"SandboxKey", ""}, {"Ports", nlohmann::json::object()},
            {"IPAddress", ""},  {"Gateway", ""},
            {"MacAddress", ""}, {"Networks", networks}};
}

}  // namespace berth::engine
