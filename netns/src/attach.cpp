// Attaching containers to networks and releasing them: the hot path of `berth run`.
#include <algorithm>
#include <set>

#include "berth/error.h"
#include "berth/netns/dns_records.h"
#include "berth/netns/namespace.h"
#include "berth/netns/netlink.h"
#include "berth/netns/networks.h"
#include "ids.h"

namespace berth::netns {
namespace {

Network* find_network(std::vector<Network>& all, const std::string& name_or_id) {
    for (auto& net : all)
        if (net.name == name_or_id || net.id == name_or_id) return &net;
    if (name_or_id.size() >= 3)
        for (auto& net : all)
            if (net.id.starts_with(name_or_id)) return &net;
    return nullptr;
}

Attachment attachment_of(const Network& net, const Endpoint& ep) {
    return Attachment{net.name, net.id, net.subnet, net.gateway, net.internal, ep};
}

std::string free_ifname(const Netlink& inside) {
    for (int i = 0;; ++i) {
        std::string name = "eth" + std::to_string(i);
        if (!inside.link_exists(name)) return name;
    }
}

}  // namespace

void Networks::delete_endpoint_links(const Endpoint& endpoint) {
    // Deleting the host end takes the container end with it (or it went with the namespace).
    Netlink().delete_link(endpoint.host_veth);
}

std::set<std::string> Networks::reclaim_leaked(std::vector<Network>& all) {
    std::set<std::string> changed;
    for (auto& net : all) {
        bool dirty = false;
        for (auto it = net.endpoints.begin(); it != net.endpoints.end();) {
            const Endpoint& ep = it->second;
            bool alive = is_netns_mount(ep.netns_path) &&
                         (!config_.container_alive || config_.container_alive(ep.container_id));
            if (alive) {
                ++it;
                continue;
            }
            // A crash left this endpoint behind: its namespace (or container) is gone, so
            // its address is free again.
            delete_endpoint_links(ep);
            it = net.endpoints.erase(it);
            dirty = true;
        }
        if (dirty) {
            store_.save(net);
            changed.insert(net.name);
        }
    }
    return changed;
}

Attachment Networks::attach(const AttachRequest& request) {
    auto lock = store_.lock_exclusive();
    auto all = store_.load_all();
    std::set<std::string> changed = reclaim_leaked(all);
    bool firewall = !changed.empty();
    Network* net = find_network(all, request.network);
    if (!net) throw Error("network " + request.network + " not found");
    if (net->endpoint_of(request.container_id))
        throw Error("container " + request.container_name + " is already connected to network " +
                    net->name);
    ensure_bridge(*net);

    Endpoint ep;
    ep.container_id = request.container_id;
    ep.container_name = request.container_name;
    ep.aliases = request.aliases;
    ep.ports = request.ports;
    for (const auto& server : request.dns) {
        auto address = Ipv4::try_parse(server);
        if (!address) throw Error("invalid --dns \"" + server + "\": not an IPv4 address");
        ep.dns.push_back(address->str());
    }
    if (request.ip) {
        check_requested_address(*net, *request.ip);
        ep.ip = *request.ip;
    } else {
        ep.ip = allocate_address(*net);
        net->ip_cursor = ep.ip;
    }
    ep.mac = detail::mac_for(ep.ip);
    ep.endpoint_id = detail::random_hex(32);
    ep.host_veth = "veth" + ep.endpoint_id.substr(0, 11);
    ep.netns_path = netns_path(request.container_id);

    NetNamespace ns = is_netns_mount(ep.netns_path) ? NetNamespace::open(ep.netns_path)
                                                    : NetNamespace::create(ep.netns_path);
    Netlink inside = Netlink::in_namespace(ns.fd());
    ep.ifname = free_ifname(inside);
    Netlink host;
    host.create_veth(VethSpec{.host_name = ep.host_veth,
                              .peer_name = ep.ifname,
                              .peer_netns_fd = ns.fd(),
                              .mtu = net->mtu,
                              .peer_mac = ep.mac,
                              .master = net->bridge,
                              .up = true});
    OwnedLink veth(host, ep.host_veth);
    inside.add_address(ep.ifname, ep.ip, net->subnet.length);
    inside.set_up(ep.ifname);
    // The first network gives the default route; internal networks never do (no way out).
    if (!net->internal && ep.ifname == "eth0") inside.add_default_route(net->gateway, ep.ifname);

    net->endpoints[ep.container_id] = ep;
    store_.save(*net);
    changed.insert(net->name);
    try {
        sync_after_change(all, firewall || !ep.ports.empty(), changed);
    } catch (...) {
        net->endpoints.erase(ep.container_id);
        store_.save(*net);
        throw;
    }
    veth.release();
    ns.release();
    return attachment_of(*net, ep);
}

bool Networks::detach(const std::string& container_id, const std::string& network) {
    auto lock = store_.lock_exclusive();
    auto all = store_.load_all();
    Network* net = find_network(all, network);
    if (!net) throw Error("network " + network + " not found");
    auto it = net->endpoints.find(container_id);
    if (it == net->endpoints.end()) return false;
    Endpoint ep = it->second;
    net->endpoints.erase(it);
    store_.save(*net);  // the address is free from here on, exactly once
    delete_endpoint_links(ep);
    sync_after_change(all, !ep.ports.empty(), {net->name});
    return true;
}

void Networks::release_container(const std::string& container_id) {
    {
        auto lock = store_.lock_exclusive();
        auto all = store_.load_all();
        std::set<std::string> changed;
        bool firewall = false;
        for (auto& net : all) {
            auto it = net.endpoints.find(container_id);
            if (it == net.endpoints.end()) continue;
            Endpoint ep = it->second;
            net.endpoints.erase(it);
            store_.save(net);
            // No RTM_DELLINK here (20-50 ms each in the kernel): the container is gone, so
            // unmounting its namespace below lets the kernel destroy it, and with it every
            // veth pair inside, in its batched cleanup work. The address is not reused
            // before the range wraps (allocate_address), so the dying end never clashes.
            changed.insert(net.name);
            firewall = firewall || !ep.ports.empty();
        }
        if (!changed.empty()) sync_after_change(all, firewall, changed);
    }
    remove_netns_mount(netns_path(container_id));
}

std::vector<Attachment> Networks::attachments_of(const std::string& container_id) const {
    auto lock = store_.lock_shared();
    std::vector<Attachment> out;
    for (const auto& net : store_.load_all())
        if (const Endpoint* ep = net.endpoint_of(container_id))
            out.push_back(attachment_of(net, *ep));
    std::sort(out.begin(), out.end(), [](const Attachment& a, const Attachment& b) {
        return a.endpoint.ifname < b.endpoint.ifname;
    });
    return out;
}

std::string Networks::resolv_conf(const std::string& container_id) const {
    auto attachments = attachments_of(container_id);
    if (attachments.empty()) throw Error("container " + container_id + " is on no network");
    // Always berth-dns, also with --dns: it answers the container names of every network the
    // container is on and forwards the rest to the --dns servers (Docker's embedded DNS does
    // the same on user-defined networks).
    return container_resolv_conf(attachments.front().gateway.str());
}

std::string Networks::hosts(const std::string& container_id, const std::string& hostname) const {
    std::string out = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
    for (const auto& attachment : attachments_of(container_id))
        out += attachment.endpoint.ip.str() + "\t" + hostname + "\n";
    return out;
}

}  // namespace berth::netns
