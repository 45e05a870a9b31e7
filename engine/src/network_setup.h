// The one place that decides a container's network, called by the monitor before every start
// and after every exit. Today: `none` (a new, empty network namespace; the runtime brings up
// lo) and `host` (no network namespace: the host's). The networks issue extends this: a
// named netns bind-mounted at /run/berth/netns/<id>, joined by path, with an address on a
// bridge, and DNS/hosts content to match.
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
// NetworkSettings for a container that is not running.
nlohmann::json idle_network_settings(const ContainerRecord& record);

}  // namespace berth::engine
