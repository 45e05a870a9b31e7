// The one place that decides a container's network, called by the monitor before every start
// and after every exit: `none` (a new, empty network namespace; the runtime brings up lo),
// `host` (no network namespace: the host's), or named networks (the default "bridge" or
// `network create`d ones): a netns bind-mounted at /run/berth/netns/<id>, joined by path, with
// one veth per recorded network (the first is eth0 and gives the default route; those
// `network connect` added follow as eth1, eth2...), attached by berth-netns in one exec.
#pragma once

#include <string>

#include "berth/engine/container.h"
#include "berth/engine/container_store.h"

namespace berth::engine {

struct NetworkAttachment {
    bool host = false;       // share the host's network namespace
    std::string netns_path;  // join this namespace; empty with !host: a new one
    // What the container's /etc/hosts, /etc/hostname and /etc/resolv.conf contain.
    std::string hosts, hostname, resolv_conf;
    // NetworkSettings for inspect.
    nlohmann::json settings = nlohmann::json::object();
};

// "none", "host" or the name of a network (berth network create; "bridge" is created on first
// use). Throws "network X not found" for anything else.
void validate_network_mode(const std::string& mode, const std::string& root);
bool is_named_network(const std::string& mode);
NetworkAttachment setup_network(const ContainerStore& store, const ContainerRecord& record);
// Undoes setup_network (nothing for none and host).
void teardown_network(const ContainerStore& store, const ContainerRecord& record);
// NetworkSettings as inspect shows them: the live endpoints while it runs.
nlohmann::json network_settings(const ContainerStore& store, const ContainerRecord& record);
// NetworkSettings for a container that is not running: every recorded network, no addresses.
nlohmann::json idle_network_settings(const ContainerRecord& record);

}  // namespace berth::engine
