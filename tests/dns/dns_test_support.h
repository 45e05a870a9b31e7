// Helpers for the DNS tests: a real berth-dns process on 127.0.0.1, real UDP/TCP clients, and
// real upstream peers the test owns (dnsmasq, or a socket that never answers).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "berth/fd.h"
#include "berth/netns/dns_message.h"
#include "berth/netns/dns_records.h"

namespace berth::test {

using Bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

// A port free for both UDP and TCP on 127.0.0.1 right now.
std::uint16_t free_port();
// A random 127.53.x.y: a loopback address of this test's own (the whole 127/8 is local).
std::string random_loopback_address();
std::string make_temp_dir(const std::string& prefix);
void remove_tree(const std::string& path);

Bytes build_query(const std::string& name, std::uint16_t type, std::uint16_t id, bool edns = false,
                  std::uint16_t edns_size = 1232);
// One datagram to address:port (sent from `source` when given: a client of a given address);
// the reply or nothing within `timeout`.
std::optional<Bytes> udp_exchange(std::uint16_t port, const Bytes& packet,
                                  std::chrono::milliseconds timeout = 2000ms,
                                  const std::string& address = "127.0.0.1",
                                  const std::string& source = "");
// Length-prefixed over a fresh TCP connection; all replies for `packets` (pipelined).
std::vector<Bytes> tcp_exchange(std::uint16_t port, const std::vector<Bytes>& packets,
                                std::chrono::milliseconds timeout = 2000ms,
                                const std::string& address = "127.0.0.1",
                                const std::string& source = "");
// Parses a reply, failing the current test when it is malformed.
netns::dns::Message parse_reply(const Bytes& reply);
std::vector<std::string> a_addresses(const netns::dns::Message& message);

// berth-dns run as a user runs it, in a private config dir with its own resolv.conf.
class BerthDns {
  public:
    explicit BerthDns(std::vector<std::string> upstreams_in_resolv_conf = {},
                      std::chrono::milliseconds upstream_timeout = 2000ms, unsigned threads = 1);
    ~BerthDns();
    BerthDns(const BerthDns&) = delete;
    BerthDns& operator=(const BerthDns&) = delete;

    void write_network(const std::string& network, const netns::DnsNetworkFile& file);
    void remove_network(const std::string& network);
    // Polls until `name` gets A `ipv4` (or NXDOMAIN when ipv4 is empty); false after 5 s.
    bool wait_for(const std::string& name, const std::string& ipv4);
    bool alive();  // reaps it (and remembers its status) when it has exited
    std::string log() const;

    std::uint16_t port = 0;
    std::string dir, config_dir, resolv_conf, pid_file;
    pid_t pid = -1;
    int exit_status = -1;  // once reaped by alive()
};

// dnsmasq answering up.test (and below) with 127.0.0.9 and nothing else, on 127.0.0.1:port
// (a free port) or, with `address`, on address:53 (resolv.conf upstreams have no port).
class Dnsmasq {
  public:
    explicit Dnsmasq(const std::string& address = "", std::vector<std::string> extra = {});
    ~Dnsmasq();
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;
    pid_t pid = -1;
};

// A UDP socket on 127.0.0.1 that receives queries and never answers.
class SilentUpstream {
  public:
    SilentUpstream();
    std::size_t received();  // datagrams read so far
    // (source port, DNS id) of every datagram read so far.
    const std::vector<std::pair<std::uint16_t, std::uint16_t>>& sources();
    std::uint16_t port = 0;

  private:
    UniqueFd fd_;
    std::vector<std::pair<std::uint16_t, std::uint16_t>> sources_;
};

}  // namespace berth::test
