// berth network create | ls | inspect | rm | prune | connect | disconnect.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "berth/engine/container_store.h"
#include "berth/error.h"
#include "berth/file_io.h"
#include "berth/netns/container_network.h"
#include "berth/netns/ipam.h"
#include "berth/netns/namespace.h"
#include "berth/netns/networks.h"
#include "commands.h"

namespace berth::cli {
namespace {

struct NetworkFlags {
    netns::CreateRequest create;
    std::string subnet, gateway, ip_range;
    std::vector<std::string> opts, labels, names;
    std::string driver = "bridge", ip;
    std::vector<std::string> aliases;
    bool quiet = false, force = false;
};

std::map<std::string, std::string> key_values(const std::vector<std::string>& items,
                                              const std::string& flag) {
    std::map<std::string, std::string> out;
    for (const auto& item : items) {
        auto eq = item.find('=');
        if (eq == 0 || item.empty()) throw Error(flag + " \"" + item + "\": expected KEY=VALUE");
        if (eq == std::string::npos) {
            out[item] = "";
        } else {
            out[item.substr(0, eq)] = item.substr(eq + 1);
        }
    }
    return out;
}

int create(const GlobalFlags& g, NetworkFlags& f) {
    netns::Networks networks(netns::NetworksConfig::for_root(g.root));
    netns::CreateRequest request = f.create;
    request.name = f.names.at(0);
    if (!f.subnet.empty()) request.subnet = f.subnet;
    if (!f.gateway.empty()) request.gateway = f.gateway;
    if (!f.ip_range.empty()) request.ip_range = f.ip_range;
    if (!request.subnet && (request.gateway || request.ip_range))
        throw Error("network create: --gateway and --ip-range need --subnet");
    request.options = key_values(f.opts, "--opt");
    request.labels = key_values(f.labels, "--label");
    std::printf("%s\n", networks.create(request).id.c_str());
    return 0;
}

int list(const GlobalFlags& g, const NetworkFlags& f) {
    netns::Networks networks(netns::NetworksConfig::for_root(g.root));
    if (!f.quiet) std::printf("%-12s   %-20s %-8s %-6s\n", "NETWORK ID", "NAME", "DRIVER", "SCOPE");
    for (const auto& net : networks.list()) {
        if (f.quiet) {
            std::printf("%s\n", net.id.substr(0, 12).c_str());
        } else {
            std::printf("%-12s   %-20s %-8s %-6s\n", net.id.substr(0, 12).c_str(), net.name.c_str(),
                        "bridge", "local");
        }
    }
    return 0;
}

int inspect(const GlobalFlags& g, const NetworkFlags& f) {
    netns::Networks networks(netns::NetworksConfig::for_root(g.root));
    nlohmann::json out = nlohmann::json::array();
    for (const auto& name : f.names) out.push_back(netns::inspect_view(networks.get(name)));
    std::cout << out.dump(4) << "\n";
    return 0;
}

int remove(const GlobalFlags& g, const NetworkFlags& f) {
    netns::Networks networks(netns::NetworksConfig::for_root(g.root));
    int status = 0;
    for (const auto& name : f.names) {
        try {
            networks.remove(name);
            std::printf("%s\n", name.c_str());
        } catch (const Error& e) {
            std::fprintf(stderr, "berth: %s\n", e.what());
            status = 1;
        }
    }
    return status;
}

// The container is on named networks, or `network disconnect` took all of them (not
// --network host or none); `action` says what was refused.
void require_named_network(const engine::ContainerRecord& record, const std::string& action) {
    const std::string& mode = record.host_config.network_mode;
    if (mode == "host")
        throw Error("container " + record.name + " cannot be " + action +
                    ": it uses the host's network namespace (--network host)");
    if (mode == "none" && !record.host_config.networks_disconnected)
        throw Error("container " + record.name + " cannot be " + action +
                    ": it has no network (--network none)");
}

// A container whose network namespace exists (running, starting or between restarts) is
// attached or detached live and the change is recorded; a created or exited one only has its
// record changed, and the next start attaches every recorded network (docker keeps them in
// EndpointsConfig the same way). The caller holds the container's lock, which the monitor
// takes while it reads the record and makes the namespace, so a start never misses a connect.
bool has_live_namespace(const std::string& id, const netns::Networks& networks) {
    return netns::is_netns_mount(networks.netns_path(id));
}

void refresh_settings(const engine::ContainerStore& store, const std::string& id,
                      const netns::Networks& networks) {
    std::string settings = store.dir(id) + "/network-settings.json";
    if (path_exists(settings))
        write_file_atomic(settings, netns::network_settings(networks, id).dump(), 0644);
}

int connect(const GlobalFlags& g, const NetworkFlags& f) {
    engine::ContainerStore store(g.root, g.run_root);
    std::string id = store.resolve(f.names.at(1));
    UniqueFd lock = store.lock(id);
    engine::ContainerRecord record = store.load(id);
    const std::string& wanted = f.names.at(0);
    require_named_network(record, "connected to network " + wanted);
    netns::Networks networks(netns::NetworksConfig::for_root(g.root));
    if (wanted == netns::kDefaultNetworkName) networks.ensure_default();
    netns::Network network = networks.get(wanted);  // "network X not found"
    const std::string& name = network.name;
    if (engine::records_network(record.host_config, name))
        throw Error("container " + record.name + " is already connected to network " + name);
    // Also for a stopped container: a bad --ip is refused now, not at its next start.
    if (!f.ip.empty()) netns::check_requested_address(network, netns::Ipv4::parse(f.ip));
    if (has_live_namespace(id, networks)) {
        netns::AttachRequest request;
        request.container_id = id;
        request.container_name = record.name;
        request.network = name;
        if (!f.ip.empty()) request.ip = netns::Ipv4::parse(f.ip);
        request.aliases = f.aliases;
        networks.attach(request);
        refresh_settings(store, id, networks);
    }
    engine::add_recorded_network(record.host_config, {name, f.ip, f.aliases});
    store.save_record(record);
    return 0;
}

int disconnect(const GlobalFlags& g, const NetworkFlags& f) {
    engine::ContainerStore store(g.root, g.run_root);
    std::string id = store.resolve(f.names.at(1));
    UniqueFd lock = store.lock(id);
    engine::ContainerRecord record = store.load(id);
    const std::string& wanted = f.names.at(0);
    netns::Networks networks(netns::NetworksConfig::for_root(g.root));
    // The record names networks by name; an ID (or a prefix) names one that exists. A
    // recorded network that was removed meanwhile can still be dropped by its name.
    std::string name = wanted;
    if (!engine::records_network(record.host_config, wanted)) {
        try {
            name = networks.get(wanted).name;
        } catch (const Error&) {
            throw Error("network " + wanted + " not found");
        }
    }
    bool live = false;
    if (has_live_namespace(id, networks)) {
        try {
            live = networks.detach(id, name);
        } catch (const Error&) {
            // Removed while the container was between restarts: nothing live to detach.
            if (!engine::records_network(record.host_config, name)) throw;
        }
        if (live) refresh_settings(store, id, networks);
    }
    bool recorded = engine::remove_recorded_network(record.host_config, name);
    if (!live && !recorded)
        throw Error("container " + record.name + " is not connected to network " + name);
    if (recorded) store.save_record(record);
    return 0;
}

int prune(const GlobalFlags& g) {
    netns::Networks networks(netns::NetworksConfig::for_root(g.root));
    auto removed = networks.prune();
    if (!removed.empty()) std::printf("Deleted Networks:\n");
    for (const auto& name : removed) std::printf("%s\n", name.c_str());
    return 0;
}

}  // namespace

void add_network_commands(CLI::App& app, GlobalFlags& globals, Action& action) {
    auto flags = std::make_shared<NetworkFlags>();
    CLI::App* network = app.add_subcommand("network", "manage networks");
    network->require_subcommand(1);

    CLI::App* create_cmd = network->add_subcommand("create", "create a bridge network");
    create_cmd->add_option("--subnet", flags->subnet, "IPv4 subnet in CIDR form");
    create_cmd->add_option("--gateway", flags->gateway, "gateway address (default: first host)");
    create_cmd->add_option("--ip-range", flags->ip_range, "allocate container addresses from here");
    create_cmd->add_flag("--internal", flags->create.internal,
                         "no traffic in or out of the network");
    create_cmd->add_option("-o,--opt", flags->opts, "mtu=N, com.docker.network.bridge.name=NAME");
    create_cmd->add_option("--label", flags->labels, "KEY=VALUE metadata");
    create_cmd->add_option("-d,--driver", flags->driver, "only bridge")
        ->check(CLI::IsMember({"bridge"}));
    create_cmd->add_option("name", flags->names, "network name")->required()->expected(1);
    create_cmd->callback([&globals, &action, flags] {
        action = [&globals, flags] { return create(globals, *flags); };
    });

    CLI::App* ls = network->add_subcommand("ls", "list networks");
    ls->alias("list");
    ls->add_flag("-q,--quiet", flags->quiet, "only ids");
    ls->callback([&globals, &action, flags] {
        action = [&globals, flags] { return list(globals, *flags); };
    });

    CLI::App* insp = network->add_subcommand("inspect", "networks as JSON");
    insp->add_option("names", flags->names, "network names or ids")->required();
    insp->callback([&globals, &action, flags] {
        action = [&globals, flags] { return inspect(globals, *flags); };
    });

    CLI::App* rm = network->add_subcommand("rm", "remove networks without containers");
    rm->alias("remove");
    rm->add_option("names", flags->names, "network names or ids")->required();
    rm->callback([&globals, &action, flags] {
        action = [&globals, flags] { return remove(globals, *flags); };
    });

    CLI::App* conn = network->add_subcommand(
        "connect", "connect a container (now if it runs, else at its next start)");
    conn->add_option("--ip", flags->ip, "IPv4 address on the network");
    conn->add_option("--alias", flags->aliases, "another DNS name on the network");
    conn->add_option("args", flags->names, "NETWORK CONTAINER")->required()->expected(2);
    conn->callback([&globals, &action, flags] {
        action = [&globals, flags] { return connect(globals, *flags); };
    });
    CLI::App* disc = network->add_subcommand("disconnect", "disconnect a container");
    disc->add_flag("-f,--force", flags->force, "accepted (berth always forces)");
    disc->add_option("args", flags->names, "NETWORK CONTAINER")->required()->expected(2);
    disc->callback([&globals, &action, flags] {
        action = [&globals, flags] { return disconnect(globals, *flags); };
    });

    CLI::App* prune_cmd = network->add_subcommand("prune", "remove every unused network");
    prune_cmd->add_flag("-f,--force", flags->force, "do not ask (berth never asks)");
    prune_cmd->callback([&globals, &action] { action = [&globals] { return prune(globals); }; });
}

}  // namespace berth::cli
