// The networks API the CLI and the engine use: create/list/remove networks, attach a container
// (its own network namespace, a veth into the network's bridge, an address, routes, DNS
// records, published ports) and detach it again. Every mutation runs under the store's
// exclusive lock and leaves kernel state and records consistent, also when it fails.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "berth/netns/address.h"
#include "berth/netns/ipam.h"
#include "berth/netns/network.h"
#include "berth/netns/store.h"

namespace berth::netns {

inline constexpr const char* kDefaultNetworkName = "bridge";

struct NetworksConfig {
    std::string root;                            // store root (networks under <root>/networks)
    std::string netns_dir = "/run/berth/netns";  // <dir>/<container id>
    std::string table = "berth";                 // nftables table (family ip)
    std::string dns_dir;                         // record files for berth-dns
    std::string dns_pid_file;                    // the daemon's pid file
    std::string dns_daemon;                      // berth-dns binary; empty: no DNS
    std::vector<std::string> dns_upstreams;      // empty: the host's resolv.conf
    uint16_t dns_port = 53;
    std::vector<PoolEntry> pool = default_address_pool();
    // Optional: whether a container still exists (the engine's view). Endpoints of containers
    // that are gone are reclaimed at the next allocation, like those whose namespace is gone.
    std::function<bool(const std::string& container_id)> container_alive;

    // berth's defaults for a store root: the default root (/var/lib/berth) uses table "berth"
    // and /run/berth/dns; any other root gets its own table and DNS directory (suffix: a hash
    // of the root), so two stores never rewrite each other's rules or records.
    static NetworksConfig for_root(const std::string& root);
};

struct CreateRequest {
    std::string name;
    std::optional<std::string> subnet;
    std::optional<std::string> gateway;
    std::optional<std::string> ip_range;
    bool internal = false;
    std::map<std::string, std::string> options;  // mtu, com.docker.network.bridge.name, ...
    std::map<std::string, std::string> labels;
};

struct AttachRequest {
    std::string container_id;
    std::string container_name;
    std::string network;  // name or id
    std::optional<Ipv4> ip;
    std::vector<std::string> aliases;
    std::vector<PortMapping> ports;
    std::vector<std::string> dns;  // --dns servers (IPv4[:PORT]), see Endpoint::dns
};

// What a container got on one network.
struct Attachment {
    std::string network_name;
    std::string network_id;
    Prefix subnet;
    Ipv4 gateway;
    bool internal = false;
    Endpoint endpoint;
};

class Networks {
  public:
    explicit Networks(NetworksConfig config);

    Network create(const CreateRequest& request);
    // The default network, created on first use (172.17.0.0/16 when free).
    Network ensure_default();
    void remove(const std::string& name_or_id);
    // Removes every network without endpoints except the default one; returns their names.
    std::vector<std::string> prune();
    std::vector<Network> list() const;
    Network get(const std::string& name_or_id) const;

    // Where the container's network namespace is mounted (created by the first attach).
    std::string netns_path(const std::string& container_id) const;
    Attachment attach(const AttachRequest& request);
    // Releases the container's endpoint on one network; false when it had none there.
    bool detach(const std::string& container_id, const std::string& network);
    // Every endpoint of the container, then its namespace mount. For a container whose
    // processes are gone: the kernel then destroys the namespace and its veth pairs
    // asynchronously (they vanish within moments, not within this call).
    void release_container(const std::string& container_id);
    std::vector<Attachment> attachments_of(const std::string& container_id) const;

    // /etc/resolv.conf for the container: berth-dns on its first network's gateway (which
    // forwards other names to the container's --dns servers when it has them).
    std::string resolv_conf(const std::string& container_id) const;
    // /etc/hosts: localhost lines and the container's own addresses under its hostname.
    std::string hosts(const std::string& container_id, const std::string& hostname) const;

    const NetworksConfig& config() const { return config_; }

  private:
    Network create_locked(const CreateRequest& request, std::vector<Network>& all);
    void ensure_bridge(const Network& network);
    // Rewrites the nftables table (firewall) and the DNS record files of the named networks,
    // and starts/stops berth-dns as needed.
    void sync_after_change(const std::vector<Network>& all, bool firewall,
                           const std::set<std::string>& dns_changed,
                           const std::vector<std::string>& removed_dns = {});
    // Drops endpoints whose namespace (or container) is gone; returns the networks changed.
    std::set<std::string> reclaim_leaked(std::vector<Network>& all);
    void delete_endpoint_links(const Endpoint& endpoint);

    NetworksConfig config_;
    NetworkStore store_;
};

}  // namespace berth::netns
