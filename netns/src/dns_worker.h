// One worker: an epoll loop owning its own SO_REUSEPORT UDP/TCP listeners for every listen
// address, its TCP connections, and its in-flight forwarded queries (each with its own upstream
// socket). Workers share only the immutable ZoneTable (swapped by the server on reload) and their
// counters (written by the owner only, read by stats()).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "berth/fd.h"
#include "berth/netns/dns_server.h"
#include "dns_answer.h"
#include "dns_zone.h"

namespace berth::netns {

// The table all workers answer from; `generation` tells a worker it has to pick a new one.
struct SharedTable {
    std::mutex mutex;
    std::shared_ptr<const ZoneTable> table;
    std::atomic<std::uint64_t> generation{0};
};

// Written by the owning worker only (relaxed load+store, no locked instruction per query).
struct WorkerCounters {
    std::atomic<std::uint64_t> queries{0}, answered_local{0}, forwarded{0}, servfail{0}, formerr{0},
        dropped{0};
    static void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
        c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
};

class Worker {
  public:
    using Clock = std::chrono::steady_clock;
    Worker(const DnsServerOptions& options, SharedTable& shared, std::uint64_t seed);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Opens/closes listeners to match the table. `strict`: throw on a bind failure (first
    // start); otherwise log it and carry on with the other addresses.
    void apply_table(std::shared_ptr<const ZoneTable> table, bool strict);
    void run();   // until request_stop()
    void wake();  // from any thread: look at the shared table again
    void request_stop();
    const WorkerCounters& counters() const { return counters_; }

  private:
    static constexpr std::size_t kBatch = 64;
    static constexpr std::size_t kUdpBuffer = 4096;
    enum Kind : std::uint32_t { kWake = 1, kUdp, kTcpListen, kTcpConn, kUpstream, kUpstreamTcp };

    struct Listener {
        std::uint32_t address = 0;  // network order
        UniqueFd udp, tcp;
        std::shared_ptr<const ZoneView> view;
        std::uint64_t generation = 0;  // bumped when the slot is reused
        bool open = false;
    };
    struct Client {
        bool tcp = false;
        std::uint32_t slot = 0;  // listener (UDP) or connection (TCP) slot
        std::uint64_t slot_generation = 0;
        sockaddr_in address{};  // UDP client
        std::size_t udp_limit = 512;
    };
    struct Connection {
        UniqueFd fd;
        std::uint32_t listen_address = 0;
        std::uint32_t client_address = 0;  // network byte order
        std::uint64_t generation = 0;
        std::vector<std::uint8_t> in, out;
        std::size_t out_sent = 0;
        Clock::time_point last_active;
        bool open = false, writing = false;
    };
    // One TCP exchange with an upstream, for a TCP client whose UDP answer came back truncated.
    struct UpstreamStream {
        UniqueFd fd;
        std::uint16_t id = 0;              // the pending query it serves
        std::vector<std::uint8_t> buffer;  // the framed query going out, then the reply
        std::size_t sent = 0;
        bool open = false, reading = false;
    };
    struct Pending {
        Client client;
        std::uint16_t client_id = 0;
        std::vector<std::uint8_t> query;  // as received (client id inside)
        std::shared_ptr<const ZoneView> view;
        std::size_t question_end = 0;
        std::size_t attempt = 0;
        UniqueFd socket;  // this attempt's connected UDP socket (epoll slot = the id)
        std::uint32_t stream_slot = 0xFFFFFFFF;  // set while a TCP retry runs
        Clock::time_point started;
        std::uint64_t sequence = 0;  // matches the live timer entry
    };
    struct Timer {
        Clock::time_point deadline;
        std::uint16_t id;
        std::uint64_t sequence;
        bool operator>(const Timer& other) const { return deadline > other.deadline; }
    };

    void add_to_epoll(int fd, Kind kind, std::uint32_t slot, std::uint32_t events);
    void refresh_table();
    int next_timeout_ms() const;
    void on_udp(std::uint32_t slot);
    void on_tcp_accept(std::uint32_t slot);
    void on_tcp_readable(std::uint32_t slot);
    void on_tcp_writable(std::uint32_t slot);
    void tcp_send(std::uint32_t slot, const std::uint8_t* data, std::size_t size);
    void close_connection(std::uint32_t slot);
    void sweep_idle_connections();
    // Forwarding (dns_worker_forward.cpp).
    void forward(const std::shared_ptr<const ZoneView>& view, std::span<const std::uint8_t> packet,
                 const Client& client);
    bool send_attempt(std::uint16_t id, Pending& pending);
    void on_upstream(std::uint32_t slot);
    void expire_timers();
    void finish(std::uint16_t id, Pending& pending, std::span<const std::uint8_t> reply);
    void fail(std::uint16_t id, Pending& pending);  // SERVFAIL to the client, forget it
    void fail_unlisted(Pending& pending);           // SERVFAIL for one not in pending_
    void deliver(const Client& client, std::span<const std::uint8_t> response);
    std::uint16_t random_id();  // from getrandom(), not from the answer-order generator
    // TCP retries (dns_worker_upstream_tcp.cpp).
    bool start_stream(std::uint16_t id, Pending& pending);
    void on_stream(std::uint32_t slot);
    void close_stream(Pending& pending);
    void stream_failed(std::uint16_t id, Pending& pending);

    const DnsServerOptions options_;
    SharedTable& shared_;
    UniqueFd epoll_, wake_;
    std::atomic<bool> stop_{false};
    std::shared_ptr<const ZoneTable> table_;
    std::uint64_t table_generation_ = 0;
    std::vector<Listener> listeners_;
    std::vector<Connection> connections_;
    std::size_t open_connections_ = 0;
    std::vector<UpstreamStream> streams_;
    std::unordered_map<std::uint16_t, Pending> pending_;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
    std::uint64_t next_sequence_ = 1;
    Clock::time_point next_sweep_;
    FastRng rng_;
    std::uint8_t random_pool_[256];
    std::size_t random_used_ = sizeof random_pool_;
    WorkerCounters counters_;

    // recvmmsg/sendmmsg batch state, allocated once.
    std::vector<std::uint8_t> in_buffers_, out_buffers_;
    std::vector<mmsghdr> in_msgs_, out_msgs_;
    std::vector<iovec> in_iov_, out_iov_;
    std::vector<sockaddr_in> in_addrs_;
    std::vector<std::uint8_t> scratch_;  // TCP answers and forwarded replies (64 KiB)
    dns::ParsedQuery parsed_{};
};

}  // namespace berth::netns
