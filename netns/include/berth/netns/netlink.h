// rtnetlink through libnl-route: links, addresses and routes of one network namespace (the one
// the socket was opened in). Every call is a netlink request; nothing execs `ip`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "berth/netns/address.h"

struct nl_sock;

namespace berth::netns {

struct VethSpec {
    std::string host_name;   // stays in this namespace
    std::string peer_name;   // created directly in the peer namespace under this name
    int peer_netns_fd = -1;  // -1: peer stays here too
    int mtu = 0;             // 0: kernel default
    std::string peer_mac;    // "02:42:ac:12:00:02"; empty: random
    std::string master;      // bridge for the host end; empty: none
    bool up = true;          // host end created up (the peer: set_up() where it lives)
};

class Netlink {
  public:
    Netlink();                                  // the caller's namespace
    static Netlink in_namespace(int netns_fd);  // a socket living in another namespace
    Netlink(Netlink&& other) noexcept;
    Netlink& operator=(Netlink&&) = delete;
    Netlink(const Netlink&) = delete;
    ~Netlink();

    int index_of(const std::string& name) const;  // 0 when absent
    bool link_exists(const std::string& name) const { return index_of(name) != 0; }
    // A bridge with a fixed MAC: without one the kernel gives the bridge the lowest MAC of its
    // ports, which changes as containers come and go and leaves stale ARP entries for the
    // gateway behind (seconds of lost traffic).
    void create_bridge(const std::string& name, int mtu, const std::string& mac = "");
    void create_veth(const VethSpec& spec);
    void set_up(const std::string& name);
    void add_address(const std::string& link, Ipv4 ip, int prefix_length);
    void add_default_route(Ipv4 gateway, const std::string& link);
    // Deletes a link (and a veth's peer with it); false when it did not exist.
    bool delete_link(const std::string& name);
    // Destinations of the namespace's IPv4 routes in every table except `local`, without
    // default routes: what a new subnet must not overlap.
    std::vector<Prefix> route_destinations() const;

  private:
    explicit Netlink(nl_sock* sock) : sock_(sock) {}
    nl_sock* sock_ = nullptr;
};

// Owner of a link: deleted when the owner goes unless released.
class OwnedLink {
  public:
    OwnedLink(Netlink& netlink, std::string name) : netlink_(&netlink), name_(std::move(name)) {}
    OwnedLink(OwnedLink&& other) noexcept
        : netlink_(other.netlink_), name_(std::move(other.name_)) {
        other.netlink_ = nullptr;
    }
    OwnedLink& operator=(OwnedLink&&) = delete;
    ~OwnedLink();
    void release() { netlink_ = nullptr; }
    const std::string& name() const { return name_; }

  private:
    Netlink* netlink_;
    std::string name_;
};

}  // namespace berth::netns
