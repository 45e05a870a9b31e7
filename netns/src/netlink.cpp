#include "berth/netns/netlink.h"

#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <cstring>
#include <memory>

#include "berth/error.h"
#include "berth/netns/namespace.h"

namespace berth::netns {
namespace {

struct LinkFree {
    void operator()(rtnl_link* link) const { rtnl_link_put(link); }
};
struct AddrFree {
    void operator()(nl_addr* addr) const { nl_addr_put(addr); }
};
struct RtAddrFree {
    void operator()(rtnl_addr* addr) const { rtnl_addr_put(addr); }
};
struct RouteFree {
    void operator()(rtnl_route* route) const { rtnl_route_put(route); }
};
struct CacheFree {
    void operator()(nl_cache* cache) const { nl_cache_free(cache); }
};
using LinkPtr = std::unique_ptr<rtnl_link, LinkFree>;
using AddrPtr = std::unique_ptr<nl_addr, AddrFree>;

void check(int err, const std::string& what) {
    if (err < 0) throw Error(what + ": " + nl_geterror(err));
}

nl_sock* open_route_socket() {
    nl_sock* sock = nl_socket_alloc();
    if (!sock) throw Error("netlink: out of memory");
    int err = nl_connect(sock, NETLINK_ROUTE);
    if (err < 0) {
        nl_socket_free(sock);
        check(err, "connect rtnetlink socket");
    }
    return sock;
}

AddrPtr ipv4_addr(Ipv4 ip, int prefix_length) {
    uint32_t be = ip.network_order();
    AddrPtr addr(nl_addr_build(AF_INET, &be, sizeof be));
    if (!addr) throw Error("netlink: out of memory");
    nl_addr_set_prefixlen(addr.get(), prefix_length);
    return addr;
}

LinkPtr alloc_link(LinkPtr link) {
    if (!link) throw Error("netlink: out of memory");
    return link;
}

}  // namespace

Netlink::Netlink() : sock_(open_route_socket()) {}

Netlink Netlink::in_namespace(int netns_fd) {
    nl_sock* sock = nullptr;
    // A netlink socket belongs to the namespace it was created in, wherever it is used later.
    run_in_netns(netns_fd, [&] { sock = open_route_socket(); });
    return Netlink(sock);
}

Netlink::Netlink(Netlink&& other) noexcept : sock_(std::exchange(other.sock_, nullptr)) {}

Netlink::~Netlink() {
    if (sock_) nl_socket_free(sock_);
}

int Netlink::index_of(const std::string& name) const {
    rtnl_link* link = nullptr;
    if (rtnl_link_get_kernel(sock_, 0, name.c_str(), &link) < 0) return 0;
    LinkPtr owner(link);
    return rtnl_link_get_ifindex(link);
}

void Netlink::create_bridge(const std::string& name, int mtu, const std::string& mac) {
    LinkPtr link = alloc_link(LinkPtr(rtnl_link_bridge_alloc()));
    rtnl_link_set_name(link.get(), name.c_str());
    if (!mac.empty()) {
        nl_addr* addr = nullptr;
        check(nl_addr_parse(mac.c_str(), AF_LLC, &addr), "parse MAC " + mac);
        AddrPtr addr_owner(addr);
        rtnl_link_set_addr(link.get(), addr);
    }
    if (mtu > 0) rtnl_link_set_mtu(link.get(), static_cast<unsigned>(mtu));
    rtnl_link_set_flags(link.get(), IFF_UP);
    check(rtnl_link_add(sock_, link.get(), NLM_F_CREATE | NLM_F_EXCL), "create bridge " + name);
}

void Netlink::create_veth(const VethSpec& spec) {
    LinkPtr link = alloc_link(LinkPtr(rtnl_link_veth_alloc()));
    rtnl_link* peer = rtnl_link_veth_get_peer(link.get());
    LinkPtr peer_owner(peer);  // get_peer took a reference
    rtnl_link_set_name(link.get(), spec.host_name.c_str());
    rtnl_link_set_name(peer, spec.peer_name.c_str());
    if (spec.mtu > 0) {
        rtnl_link_set_mtu(link.get(), static_cast<unsigned>(spec.mtu));
        rtnl_link_set_mtu(peer, static_cast<unsigned>(spec.mtu));
    }
    if (!spec.peer_mac.empty()) {
        nl_addr* mac = nullptr;
        check(nl_addr_parse(spec.peer_mac.c_str(), AF_LLC, &mac), "parse MAC " + spec.peer_mac);
        AddrPtr mac_owner(mac);
        rtnl_link_set_addr(peer, mac);
    }
    // The peer is born in the container's namespace under its final name, up: one request
    // instead of create + move + rename + up.
    if (spec.peer_netns_fd >= 0) rtnl_link_set_ns_fd(peer, spec.peer_netns_fd);
    if (!spec.master.empty()) {
        int master = index_of(spec.master);
        if (master == 0)
            throw Error("create veth " + spec.host_name + ": no bridge " + spec.master);
        rtnl_link_set_master(link.get(), master);
    }
    // Only the host end can be born up: the kernel opens the peer before the two are tied
    // together and refuses (ENOTCONN); the peer is set up from inside its namespace.
    if (spec.up) rtnl_link_set_flags(link.get(), IFF_UP);
    check(rtnl_link_add(sock_, link.get(), NLM_F_CREATE | NLM_F_EXCL),
          "create veth " + spec.host_name + " (peer " + spec.peer_name + ")");
}

void Netlink::set_up(const std::string& name) {
    rtnl_link* current = nullptr;
    check(rtnl_link_get_kernel(sock_, 0, name.c_str(), &current), "find link " + name);
    LinkPtr current_owner(current);
    LinkPtr change = alloc_link(LinkPtr(rtnl_link_alloc()));
    rtnl_link_set_flags(change.get(), IFF_UP);
    check(rtnl_link_change(sock_, current, change.get(), 0), "set " + name + " up");
}

void Netlink::add_address(const std::string& link, Ipv4 ip, int prefix_length) {
    int index = index_of(link);
    if (index == 0) throw Error("add address " + ip.str() + ": no link " + link);
    std::unique_ptr<rtnl_addr, RtAddrFree> addr(rtnl_addr_alloc());
    if (!addr) throw Error("netlink: out of memory");
    rtnl_addr_set_ifindex(addr.get(), index);
    AddrPtr local = ipv4_addr(ip, prefix_length);
    check(rtnl_addr_set_local(addr.get(), local.get()), "address " + ip.str());
    if (prefix_length < 31) {
        Prefix net{Ipv4{ip.value & Prefix{ip, prefix_length}.mask()}, prefix_length};
        AddrPtr broadcast = ipv4_addr(net.last(), 32);
        rtnl_addr_set_broadcast(addr.get(), broadcast.get());
    }
    check(rtnl_addr_add(sock_, addr.get(), 0),
          "add address " + ip.str() + "/" + std::to_string(prefix_length) + " to " + link);
}

void Netlink::add_default_route(Ipv4 gateway, const std::string& link) {
    int index = index_of(link);
    if (index == 0) throw Error("add default route: no link " + link);
    std::unique_ptr<rtnl_route, RouteFree> route(rtnl_route_alloc());
    if (!route) throw Error("netlink: out of memory");
    rtnl_route_set_family(route.get(), AF_INET);
    rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
    rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
    rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
    rtnl_route_set_type(route.get(), RTN_UNICAST);
    AddrPtr dst = ipv4_addr(Ipv4{0}, 0);
    check(rtnl_route_set_dst(route.get(), dst.get()), "default route");
    rtnl_nexthop* hop = rtnl_route_nh_alloc();
    if (!hop) throw Error("netlink: out of memory");
    AddrPtr via = ipv4_addr(gateway, 32);
    rtnl_route_nh_set_gateway(hop, via.get());
    rtnl_route_nh_set_ifindex(hop, index);
    rtnl_route_add_nexthop(route.get(), hop);  // the route owns the hop now
    check(rtnl_route_add(sock_, route.get(), NLM_F_EXCL),
          "add default route via " + gateway.str() + " dev " + link);
}

bool Netlink::delete_link(const std::string& name) {
    LinkPtr link = alloc_link(LinkPtr(rtnl_link_alloc()));
    rtnl_link_set_name(link.get(), name.c_str());
    int err = rtnl_link_delete(sock_, link.get());
    if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND) return false;
    check(err, "delete link " + name);
    return true;
}

std::vector<Prefix> Netlink::route_destinations() const {
    nl_cache* raw = nullptr;
    check(rtnl_route_alloc_cache(sock_, AF_INET, 0, &raw), "list routes");
    std::unique_ptr<nl_cache, CacheFree> cache(raw);
    std::vector<Prefix> out;
    for (nl_object* obj = nl_cache_get_first(raw); obj; obj = nl_cache_get_next(obj)) {
        auto* route = reinterpret_cast<rtnl_route*>(obj);
        if (rtnl_route_get_table(route) == RT_TABLE_LOCAL) continue;
        nl_addr* dst = rtnl_route_get_dst(route);
        if (!dst || nl_addr_get_family(dst) != AF_INET || nl_addr_get_len(dst) != 4) continue;
        int length = static_cast<int>(nl_addr_get_prefixlen(dst));
        if (length == 0) continue;
        uint32_t be = 0;
        std::memcpy(&be, nl_addr_get_binary_addr(dst), 4);
        Prefix prefix{Ipv4{ntohl(be)}, length};
        prefix.address.value &= prefix.mask();
        out.push_back(prefix);
    }
    return out;
}

OwnedLink::~OwnedLink() {
    if (!netlink_) return;
    try {
        netlink_->delete_link(name_);
    } catch (...) {
        // Best effort on an error path: the caller is already reporting the first failure.
    }
}

}  // namespace berth::netns
