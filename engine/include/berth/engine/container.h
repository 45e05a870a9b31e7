// A container as the engine records it: what the user asked for (docker's Config and
// HostConfig, merged with the image's config at create time, as docker shows them) and the
// run state the monitor keeps up to date. Plain data plus JSON round trips.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "berth/engine/health.h"
#include "berth/engine/ulimit.h"

namespace berth::engine {

struct RestartPolicy {
    std::string name = "no";  // no | on-failure | always | unless-stopped
    int maximum_retry_count = 0;
};
// "no", "always", "unless-stopped", "on-failure", "on-failure:3". Throws naming the text.
RestartPolicy parse_restart_policy(const std::string& text);

// docker's Config: the image's settings overridden by the command line.
struct ContainerConfig {
    std::string hostname, domainname, user, working_dir, image, stop_signal = "SIGTERM";
    std::vector<std::string> env, cmd, entrypoint;
    std::map<std::string, std::string> labels;
    bool tty = false, open_stdin = false;
    std::optional<int> stop_timeout;          // seconds; docker's default is 10
    std::optional<HealthConfig> healthcheck;  // the image's, or --health-*; NONE = off
};

// A network the container is on besides its first (docker's EndpointsConfig entries): added
// by `network connect`, attached in this order after the first at every start.
struct NetworkEndpointConfig {
    std::string network;               // the network's name
    std::string ipv4_address;          // --ip; empty: allocated at each start
    std::vector<std::string> aliases;  // --alias
};

// docker's HostConfig.
struct HostConfig {
    std::vector<std::string> binds;            // -v as given
    std::map<std::string, std::string> tmpfs;  // --tmpfs PATH -> options
    int64_t memory = 0, memory_swap = 0, nano_cpus = 0, pids_limit = 0;
    std::vector<std::string> cap_add, cap_drop, security_opt;
    bool read_only = false, auto_remove = false;
    bool init = false;  // --init: berth-init is PID 1 (reaps orphans, forwards signals)
    RestartPolicy restart_policy;
    std::string network_mode = "none";
    // Named networks: -p specs ([HOST_IP:]HOST_PORT:CTR_PORT[/proto]), --dns, --network-alias,
    // --ip.
    std::vector<std::string> port_bindings, dns, network_aliases;
    std::string ipv4_address;
    // The networks after the first (network_mode, ipv4_address, network_aliases), in order.
    std::vector<NetworkEndpointConfig> extra_networks;
    // "none" because `network disconnect` took its last network (not --network none): docker
    // shows no network at all then, and `network connect` may give it one again.
    bool networks_disconnected = false;
    std::map<std::string, std::string> log_options;  // max-size, max-file
    std::vector<Ulimit> ulimits;                     // --ulimit
};

// Every named network the container is on, the first (network_mode) first; empty for
// none and host.
std::vector<NetworkEndpointConfig> recorded_networks(const HostConfig& h);
bool records_network(const HostConfig& h, const std::string& network);
// Appends a network (`network connect`); the caller checked that it is not recorded yet and
// that the container is on a named network or had all of them disconnected (then it becomes
// the first).
void add_recorded_network(HostConfig& h, NetworkEndpointConfig endpoint);
// Drops a network (`network disconnect`); false when it was not recorded. Dropping the first
// promotes the next one to first (eth0, the default route); dropping the last leaves the
// container with no network ("none", networks_disconnected), as docker does.
bool remove_recorded_network(HostConfig& h, const std::string& network);

// One resolved mount, as `inspect` shows it in Mounts.
struct MountPoint {
    std::string type;  // bind | volume | tmpfs
    std::string name;  // volume name
    std::string source, destination, mode;
    bool rw = true;
};

struct ContainerRecord {
    std::string id, name;  // name without docker's leading '/'
    std::string created;   // RFC 3339 with nanoseconds
    std::string image_id;  // sha256:...
    std::string path;      // the program: entrypoint + cmd, first word
    std::vector<std::string> args;
    ContainerConfig config;
    HostConfig host_config;
    std::vector<MountPoint> mounts;
    std::vector<std::string> lower_dirs;  // the image's layers, bottom first

    nlohmann::json to_json() const;
    static ContainerRecord from_json(const nlohmann::json& j);
};

// What the monitor records: the state file, replaced atomically under the container's lock.
struct RunState {
    std::string status = "created";  // created | running | restarting | exited | dead
    pid_t pid = 0;
    uint64_t pid_start_time = 0;
    pid_t monitor_pid = 0;
    uint64_t monitor_start_time = 0;
    int exit_code = 0;
    std::string error;
    std::string started_at = kZeroTime, finished_at = kZeroTime;
    bool oom_killed = false;
    int restart_count = 0;
    // `stop`, `kill` or `rm -f` by a user: the restart policy no longer applies.
    bool stopped_by_user = false;

    static constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";
    nlohmann::json to_json() const;
    static RunState from_json(const nlohmann::json& j);
};

// "2026-12-01T06:31:02.123456789Z"
std::string now_rfc3339_nano();
// Seconds since the epoch of an RFC 3339 time (0 for docker's zero time or garbage).
double parse_rfc3339(const std::string& text);

}  // namespace berth::engine
