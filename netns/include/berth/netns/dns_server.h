// The embedded DNS server: one per host (the berth-dns daemon), serving every network's zone on
// that network's gateway address, UDP and TCP. The zones come from the record files described
// in dns_records.h (the contract with the writer); this header is the embedding API used by
// cmd/berth-dns and the tests.
//
// Lifecycle as berth drives it:
//   1. write the network's record file (write_dns_network_file), then start the daemon once:
//        berth-dns --config-dir /run/berth/dns --port 53 --pid-file /run/berth/berth-dns.pid
//      The pid file appears only after the first load is done and every listener is bound, so
//      "pid file exists and names a live process" means "ready". A second instance with the
//      same pid file refuses to start while the first is alive.
//   2. rewrite the file whenever a container comes or goes: the daemon picks it up by itself
//      (inotify); SIGHUP forces a full reload (e.g. after /etc/resolv.conf changed).
//   3. SIGTERM/SIGINT: clean exit, the pid file is removed. SIGUSR1: one line of counters
//      (DnsServerStats) on stderr.
//
// Threads: `threads` workers (0 = one per online CPU), each with its own epoll, its own
// SO_REUSEPORT UDP and TCP sockets per listen address and its own upstream sockets, so they
// share nothing on the query path but the immutable zone table, swapped atomically on reload.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "berth/netns/dns_records.h"

namespace berth::netns {

struct DnsServerOptions {
    std::string config_dir = kDefaultDnsConfigDir;
    std::uint16_t port = 53;
    // Upstreams for networks whose file names none; re-read at every reload (SIGHUP, or any
    // change of the file, which is watched too).
    std::string resolv_conf = "/etc/resolv.conf";
    // Budget for a forwarded query across all upstreams; SERVFAIL after it.
    std::chrono::milliseconds upstream_timeout{2000};
    unsigned threads = 1;
    // TCP clients: connections per worker and idle time before a connection is closed.
    unsigned max_tcp_connections = 512;
    std::chrono::milliseconds tcp_idle_timeout{10000};
    // Datagrams per recvmmsg/sendmmsg call (1..64). 1 = one recvmsg/sendmsg pair per query,
    // kept for bench/dns.sh to show what batching buys.
    unsigned udp_batch = 64;
};

struct DnsServerStats {
    std::uint64_t queries = 0;         // well-formed queries received (UDP + TCP)
    std::uint64_t answered_local = 0;  // answered from a zone (incl. NXDOMAIN/NODATA)
    std::uint64_t forwarded = 0;       // sent to an upstream
    std::uint64_t servfail = 0;        // upstream timeouts and no-upstream answers
    std::uint64_t formerr = 0;         // malformed queries answered with FORMERR
    std::uint64_t dropped = 0;         // packets without an answer (too short, responses...)
    std::uint64_t reloads = 0;         // successful table swaps
};

class DnsServer {
  public:
    explicit DnsServer(DnsServerOptions options);
    ~DnsServer();  // stops and joins
    DnsServer(const DnsServer&) = delete;
    DnsServer& operator=(const DnsServer&) = delete;

    // Loads the config dir, binds every listener, starts the workers and the watcher. Returns
    // once queries are being served. Throws berth::Error (e.g. "bind 127.0.0.1:53: EACCES").
    void start();
    // Re-reads the config dir and resolv.conf and swaps the table in. Thread-safe.
    void reload();
    // Stops the workers and the watcher and joins them. Idempotent, thread-safe.
    void stop();

    DnsServerStats stats() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace berth::netns
