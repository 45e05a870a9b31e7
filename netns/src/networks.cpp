#include "berth/netns/networks.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <regex>
#include <set>

#include "berth/error.h"
#include "berth/fd.h"
#include "berth/file_io.h"
#include "berth/netns/firewall.h"
#include "berth/netns/namespace.h"
#include "berth/netns/netlink.h"
#include "dns_sync.h"
#include "ids.h"

namespace berth::netns {
namespace {

std::string now_rfc3339() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    tm utc{};
    ::gmtime_r(&ts.tv_sec, &utc);
    char buf[64];
    size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(buf + n, sizeof buf - n, ".%09ldZ", ts.tv_nsec);
    return buf;
}

int parse_mtu(const std::string& text) {
    int mtu = 0;
    try {
        size_t used = 0;
        mtu = std::stoi(text, &used);
        if (used != text.size()) mtu = 0;
    } catch (const std::exception&) {
    }
    if (mtu < 68 || mtu > 65535) throw Error("invalid mtu \"" + text + "\": must be 68-65535");
    return mtu;
}

void check_network_name(const std::string& name) {
    static const std::regex valid("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}");
    if (!std::regex_match(name, valid))
        throw Error("invalid network name \"" + name +
                    "\": use letters, digits, '_', '.', '-' (starting with a letter or digit)");
}

// Stores of different roots (tests, a second berth) share the host's addresses but not their
// records: they see each other's subnets only as the host's routes. One host-wide lock (not
// per store: the address space is the host's), from reading the routes until the new bridge
// carries its address, keeps two of them from picking the same subnet at the same moment.
UniqueFd lock_host_subnets() {
    const std::string dir = "/run/berth", path = dir + "/subnets.lock";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) throw_errno("open " + path);
    while (::flock(fd.get(), LOCK_EX) != 0)
        if (errno != EINTR) throw_errno("flock " + path);
    return fd;
}

bool has_endpoints(const std::vector<Network>& all) {
    return std::any_of(all.begin(), all.end(),
                       [](const Network& n) { return !n.endpoints.empty(); });
}

}  // namespace

NetworksConfig NetworksConfig::for_root(const std::string& root) {
    NetworksConfig config;
    config.root = root;
    std::string run = "/run/berth";
    if (root != "/var/lib/berth") {
        char suffix[16];
        std::snprintf(suffix, sizeof suffix, "%08zx", std::hash<std::string>{}(root)&0xffffffff);
        config.table = std::string("berth_") + suffix;
        run += std::string("/") + suffix;
    }
    config.dns_dir = run + "/dns";
    config.dns_pid_file = run + "/berth-dns.pid";
    // berth-dns is installed next to the binary using the library (berth, the engine).
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec && std::filesystem::exists(self.parent_path() / "berth-dns", ec))
        config.dns_daemon = (self.parent_path() / "berth-dns").string();
    // Upstream resolvers for every network's names that are not containers' (default: the
    // host's resolv.conf); a comma-separated list of IP[:PORT].
    if (const char* upstreams = std::getenv("BERTH_DNS_UPSTREAMS")) {
        std::string list = upstreams;
        for (size_t start = 0; start < list.size();) {
            size_t comma = list.find(',', start);
            if (comma == std::string::npos) comma = list.size();
            if (comma > start) config.dns_upstreams.push_back(list.substr(start, comma - start));
            start = comma + 1;
        }
    }
    return config;
}

Networks::Networks(NetworksConfig config) : config_(std::move(config)), store_(config_.root) {}

std::vector<Network> Networks::list() const {
    auto lock = store_.lock_shared();
    return store_.load_all();
}

Network Networks::get(const std::string& name_or_id) const {
    auto lock = store_.lock_shared();
    auto found = store_.find(name_or_id);
    if (!found) throw Error("network " + name_or_id + " not found");
    return *found;
}

std::string Networks::netns_path(const std::string& container_id) const {
    return config_.netns_dir + "/" + container_id;
}

void Networks::ensure_bridge(const Network& network) {
    Netlink netlink;
    if (netlink.link_exists(network.bridge)) return;
    netlink.create_bridge(network.bridge, network.mtu, detail::mac_for(network.gateway));
    OwnedLink bridge(netlink, network.bridge);
    netlink.add_address(network.bridge, network.gateway, network.subnet.length);
    enable_route_localnet(network.bridge);
    if (!network.internal) enable_ip_forwarding();
    bridge.release();
}

Network Networks::create_locked(const CreateRequest& request, std::vector<Network>& all) {
    check_network_name(request.name);
    for (const auto& net : all)
        if (net.name == request.name)
            throw Error("network with name " + request.name + " already exists");
    Network network;
    network.id = detail::random_hex(32);
    network.name = request.name;
    network.created = now_rfc3339();
    network.internal = request.internal;
    network.labels = request.labels;
    network.bridge = "br-" + network.id.substr(0, 12);
    for (const auto& [key, value] : request.options) {
        if (key == "mtu" || key == "com.docker.network.driver.mtu") {
            network.mtu = parse_mtu(value);
        } else if (key == "com.docker.network.bridge.name") {
            if (value.empty() || value.size() > 15 ||
                value.find_first_of("/ \t:") != std::string::npos)
                throw Error("invalid bridge name \"" + value +
                            "\": 1-15 characters, no '/', ':' or spaces");
            network.bridge = value;
        } else {
            network.options[key] = value;
        }
    }
    for (const auto& net : all)
        if (net.bridge == network.bridge)
            throw Error("bridge name " + network.bridge + " is used by network " + net.name);
    if (Netlink().link_exists(network.bridge))
        throw Error("bridge name " + network.bridge + " is already a link on this host");

    UniqueFd host_lock;  // held until the bridge has its address (a picked subnet)
    if (request.subnet) {
        network.subnet = Prefix::parse(*request.subnet);
        if (network.subnet.length > 30)
            throw Error("subnet " + network.subnet.str() + " is too small (at most /30)");
        for (const auto& net : all)
            if (net.subnet.overlaps(network.subnet))
                throw Error("subnet " + network.subnet.str() + " overlaps network " + net.name +
                            " (" + net.subnet.str() + ")");
    } else {
        host_lock = lock_host_subnets();
        std::vector<Prefix> taken = Netlink().route_destinations();
        for (const auto& net : all) taken.push_back(net.subnet);
        network.subnet = pick_subnet(config_.pool, taken);
    }
    if (request.ip_range) {
        network.ip_range = Prefix::parse(*request.ip_range);
        if (!network.subnet.contains(*network.ip_range))
            throw Error("ip-range " + network.ip_range->str() + " is not inside subnet " +
                        network.subnet.str());
    }
    if (request.gateway) {
        network.gateway = Ipv4::parse(*request.gateway);
        if (!network.subnet.contains(network.gateway) ||
            network.gateway == network.subnet.first() || network.gateway == network.subnet.last())
            throw Error("gateway " + network.gateway.str() + " is not a host address of " +
                        network.subnet.str());
    } else {
        network.gateway = Ipv4{network.subnet.first().value + 1};
    }

    ensure_bridge(network);
    try {
        store_.save(network);
        all.push_back(network);
        sync_after_change(all, true, {network.name});
    } catch (...) {
        store_.erase(network);
        Netlink().delete_link(network.bridge);
        std::erase_if(all, [&](const Network& n) { return n.id == network.id; });
        try {
            Firewall(config_.table).apply(all);
        } catch (const Error&) {
            // Keep the first error; the table is rewritten whole by the next change anyway.
        }
        throw;
    }
    return network;
}

Network Networks::create(const CreateRequest& request) {
    auto lock = store_.lock_exclusive();
    auto all = store_.load_all();
    return create_locked(request, all);
}

Network Networks::ensure_default() {
    auto lock = store_.lock_exclusive();
    auto all = store_.load_all();
    for (const auto& net : all)
        if (net.name == kDefaultNetworkName) return net;
    CreateRequest request;
    request.name = kDefaultNetworkName;
    return create_locked(request, all);
}

void Networks::remove(const std::string& name_or_id) {
    auto lock = store_.lock_exclusive();
    auto all = store_.load_all();
    reclaim_leaked(all);
    auto it = std::find_if(all.begin(), all.end(), [&](const Network& n) {
        return n.name == name_or_id || n.id == name_or_id ||
               (name_or_id.size() >= 3 && n.id.starts_with(name_or_id));
    });
    if (it == all.end()) throw Error("network " + name_or_id + " not found");
    if (!it->endpoints.empty()) {
        std::string names;
        for (const auto& [id, ep] : it->endpoints)
            names += (names.empty() ? "" : ", ") + ep.container_name;
        throw Error("network " + it->name + " has active endpoints (" + names + ")");
    }
    Network gone = *it;
    all.erase(it);
    store_.erase(gone);
    Netlink().delete_link(gone.bridge);
    sync_after_change(all, true, {}, {gone.name});
}

std::vector<std::string> Networks::prune() {
    auto lock = store_.lock_exclusive();
    auto all = store_.load_all();
    reclaim_leaked(all);
    std::vector<std::string> removed;
    std::vector<Network> kept;
    for (auto& net : all) {
        if (!net.endpoints.empty() || net.name == kDefaultNetworkName) {
            kept.push_back(std::move(net));
            continue;
        }
        store_.erase(net);
        Netlink().delete_link(net.bridge);
        removed.push_back(net.name);
    }
    if (!removed.empty()) sync_after_change(kept, true, {}, removed);
    return removed;
}

void Networks::sync_after_change(const std::vector<Network>& all, bool firewall,
                                 const std::set<std::string>& dns_changed,
                                 const std::vector<std::string>& removed_dns) {
    if (firewall) Firewall(config_.table).apply(all);
    if (config_.dns_daemon.empty()) return;
    for (const auto& name : removed_dns) detail::remove_dns_records(config_, name);
    for (const auto& net : all)
        if (dns_changed.count(net.name)) detail::write_dns_records(config_, net);
    if (!dns_changed.empty() || !removed_dns.empty())
        detail::ensure_dns_daemon(config_, has_endpoints(all));
}

}  // namespace berth::netns
