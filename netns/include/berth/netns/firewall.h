// berth's nftables table, rebuilt whole from the networks in one atomic transaction through
// libnftables (never the `nft` binary): masquerade out of non-internal networks, published
// ports, isolation between networks, internal networks sealed. Removed with the last network.
//
// Published ports reach the container from other hosts (prerouting DNAT) and from the host
// itself, 127.0.0.1 included (output DNAT). A DNAT'ed packet from 127.0.0.1 may only leave
// through the bridge because route_localnet=1 is set on berth's bridges, and it is
// masqueraded to the gateway address there so the container can answer it.
#pragma once

#include <string>
#include <vector>

#include "berth/netns/network.h"

struct nft_ctx;

namespace berth::netns {

// The nft script that replaces table `ip <table>` (or deletes it when there are no networks).
std::string render_ruleset(const std::string& table, const std::vector<Network>& networks);

class Firewall {
  public:
    explicit Firewall(std::string table);
    Firewall(const Firewall&) = delete;
    Firewall& operator=(const Firewall&) = delete;
    ~Firewall();

    // Replaces the table with the rules for `networks`; none: the table is deleted.
    void apply(const std::vector<Network>& networks);
    const std::string& table() const { return table_; }

  private:
    void run(const std::string& script);
    std::string table_;
    nft_ctx* ctx_ = nullptr;
};

// Writes 1 to /proc/sys/net/ipv4/ip_forward of the calling thread's namespace if it is 0
// (needed for masquerade and published ports; host-wide, documented in the README).
void enable_ip_forwarding();
// route_localnet=1 on one interface (published ports from 127.0.0.1).
void enable_route_localnet(const std::string& ifname);

}  // namespace berth::netns
