// berth-netns: the engine's network helper. berth-monitor is a static binary and libnftables
// exists only as a shared library, so the monitor runs this small dynamic program for
// container networks (one exec per start and per stop; nothing for --network none|host).
//
//   berth-netns --root ROOT attach --id ID --name NAME --hostname H --network NET
//               [--ip IP] [--alias A]... [--publish SPEC]... [--dns IP]...
//       prints {"netns_path", "hosts", "resolv_conf", "settings"} as JSON
//   berth-netns --root ROOT release --id ID      every endpoint, then the namespace
//   berth-netns --root ROOT check NET            exit 0 when the network exists
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "berth/netns/container_network.h"

int main(int argc, char** argv) {
    using namespace berth::netns;
    CLI::App app{"berth-netns: container networks for berth-monitor", "berth-netns"};
    app.require_subcommand(1);
    std::string root = "/var/lib/berth";
    app.add_option("--root", root, "store directory");
    ContainerNetworkRequest request;
    std::string ip, network_name;
    std::vector<std::string> publish;
    CLI::App* attach = app.add_subcommand("attach", "attach a container to a network");
    attach->add_option("--id", request.container_id)->required();
    attach->add_option("--name", request.container_name)->required();
    attach->add_option("--hostname", request.hostname)->required();
    attach->add_option("--network", request.network)->required();
    attach->add_option("--ip", ip);
    attach->add_option("--alias", request.aliases);
    attach->add_option("--publish", publish);
    attach->add_option("--dns", request.dns);
    CLI::App* release = app.add_subcommand("release", "release a container's endpoints");
    release->add_option("--id", request.container_id)->required();
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
            ContainerNetwork got = connect_container(networks, request);
            nlohmann::json out = {{"netns_path", got.netns_path},
                                  {"hosts", got.hosts},
                                  {"resolv_conf", got.resolv_conf},
                                  {"settings", got.settings}};
            std::cout << out.dump() << "\n";
        } else if (*release) {
            networks.release_container(request.container_id);
        } else if (*check) {
            if (network_name != kDefaultNetworkName) networks.get(network_name);
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "berth-netns: %s\n", e.what());
        return 1;
    }
}
