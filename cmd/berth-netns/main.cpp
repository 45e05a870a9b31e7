// berth-netns: the engine's network helper. berth-monitor is a static binary and libnftables
// exists only as a shared library, so the monitor runs this small dynamic program for
// container networks (one exec per start and per stop; nothing for --network none|host).
//
//   berth-netns --root ROOT attach --id ID --name NAME --hostname H --network NET
//               [--ip IP] [--alias A]... [--publish SPEC]... [--dns IP]...
//               [--extra NAME[:IP[:ALIAS,ALIAS...]]]...
//       prints {"netns_path", "hosts", "resolv_conf", "settings"} as JSON. NET is the first
//       network (eth0, the default route, resolv.conf's DNS, the published ports); each
//       --extra (`network connect`) follows in order as eth1, eth2... with its own address
//       (IP empty: allocated) and aliases. When any attach fails, everything attached by this
//       call is released again (the error is the library's: "network X not found", ...).
//   berth-netns --root ROOT release --id ID      every endpoint, then the namespace
//   berth-netns --root ROOT check NET            exit 0 when the network exists
//   berth-netns --root ROOT paths                the store's kernel names, as KEY=VALUE lines
//       (nftables table, DNS pid file, run directory), so tests with a private --root
//       remove exactly what their networks left behind
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "berth/error.h"
#include "berth/netns/container_network.h"

namespace {

using namespace berth::netns;

// NAME[:IP[:ALIAS,ALIAS...]]
AttachRequest parse_extra(const std::string& spec) {
    AttachRequest request;
    size_t colon = spec.find(':');
    request.network = spec.substr(0, colon);
    if (request.network.empty()) throw berth::Error("--extra \"" + spec + "\": no network name");
    if (colon == std::string::npos) return request;
    std::string rest = spec.substr(colon + 1);
    size_t second = rest.find(':');
    std::string ip = rest.substr(0, second);
    if (!ip.empty()) request.ip = Ipv4::parse(ip);
    if (second == std::string::npos) return request;
    std::string aliases = rest.substr(second + 1);
    for (size_t start = 0; start <= aliases.size();) {
        size_t comma = aliases.find(',', start);
        if (comma == std::string::npos) comma = aliases.size();
        if (comma > start) request.aliases.push_back(aliases.substr(start, comma - start));
        start = comma + 1;
    }
    return request;
}

// The first network by connect_container, then one Networks::attach per extra network; on a
// failure every endpoint of the container (and its namespace) goes again.
ContainerNetwork attach_all(Networks& networks, const ContainerNetworkRequest& first,
                            std::vector<AttachRequest> extras) {
    ContainerNetwork got = connect_container(networks, first);
    if (extras.empty()) return got;
    try {
        for (auto& extra : extras) {
            if (extra.network == kDefaultNetworkName) networks.ensure_default();
            extra.container_id = first.container_id;
            extra.container_name = first.container_name;
            networks.attach(extra);
        }
        got.hosts = networks.hosts(first.container_id, first.hostname);
        got.settings = network_settings(networks, first.container_id);
    } catch (...) {
        networks.release_container(first.container_id);
        throw;
    }
    return got;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace berth::netns;
    CLI::App app{"berth-netns: container networks for berth-monitor", "berth-netns"};
    app.require_subcommand(1);
    std::string root = "/var/lib/berth";
    app.add_option("--root", root, "store directory");
    ContainerNetworkRequest request;
    std::string ip, network_name;
    std::vector<std::string> publish, extras;
    CLI::App* attach = app.add_subcommand("attach", "attach a container to a network");
    attach->add_option("--id", request.container_id)->required();
    attach->add_option("--name", request.container_name)->required();
    attach->add_option("--hostname", request.hostname)->required();
    attach->add_option("--network", request.network)->required();
    attach->add_option("--ip", ip);
    attach->add_option("--alias", request.aliases);
    attach->add_option("--publish", publish);
    attach->add_option("--dns", request.dns);
    attach->add_option("--extra", extras);
    CLI::App* release = app.add_subcommand("release", "release a container's endpoints");
    release->add_option("--id", request.container_id)->required();
    CLI::App* paths = app.add_subcommand("paths", "the store's table, DNS pid file, run dir");
    CLI::App* check = app.add_subcommand("check", "does a network exist");
    check->add_option("network", network_name)->required();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        Networks networks(NetworksConfig::for_root(root));
        if (*attach) {
            if (!ip.empty()) request.ip = Ipv4::parse(ip);
            request.ports = parse_port_mappings(publish);
            std::vector<AttachRequest> extra_requests;
            for (const auto& spec : extras) extra_requests.push_back(parse_extra(spec));
            ContainerNetwork got = attach_all(networks, request, std::move(extra_requests));
            nlohmann::json out = {{"netns_path", got.netns_path},
                                  {"hosts", got.hosts},
                                  {"resolv_conf", got.resolv_conf},
                                  {"settings", got.settings}};
            std::cout << out.dump() << "\n";
        } else if (*release) {
            networks.release_container(request.container_id);
        } else if (*paths) {
            const NetworksConfig& c = networks.config();
            std::string run_dir = c.dns_pid_file.substr(0, c.dns_pid_file.rfind('/'));
            std::cout << "table=" << c.table << "\ndns_pid_file=" << c.dns_pid_file
                      << "\nrun_dir=" << run_dir << "\n";
        } else if (*check) {
            if (network_name != kDefaultNetworkName) networks.get(network_name);
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "berth-netns: %s\n", e.what());
        return 1;
    }
}
