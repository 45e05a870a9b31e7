// Worker: the epoll loop, listener reconciliation on table swaps, and the UDP hot path
// (recvmmsg -> answer into preallocated buffers -> sendmmsg).
#include "dns_worker.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "berth/error.h"
#include "dns_socket.h"

namespace berth::netns {

Worker::Worker(const DnsServerOptions& options, SharedTable& shared, std::uint64_t seed)
    : options_(options), shared_(shared), rng_{seed | 1} {
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) throw_errno("epoll_create1");
    wake_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!wake_) throw_errno("eventfd");
    add_to_epoll(wake_.get(), kWake, 0, EPOLLIN);

    in_buffers_.resize(kBatch * kUdpBuffer);
    out_buffers_.resize(kBatch * kUdpBuffer);
    in_msgs_.resize(kBatch);
    out_msgs_.resize(kBatch);
    in_iov_.resize(kBatch);
    out_iov_.resize(kBatch);
    in_addrs_.resize(kBatch);
    for (std::size_t i = 0; i < kBatch; ++i) {
        in_iov_[i] = {&in_buffers_[i * kUdpBuffer], kUdpBuffer};
        in_msgs_[i].msg_hdr.msg_iov = &in_iov_[i];
        in_msgs_[i].msg_hdr.msg_iovlen = 1;
        in_msgs_[i].msg_hdr.msg_name = &in_addrs_[i];
        out_iov_[i] = {&out_buffers_[i * kUdpBuffer], 0};
        out_msgs_[i].msg_hdr.msg_iov = &out_iov_[i];
        out_msgs_[i].msg_hdr.msg_iovlen = 1;
    }
    scratch_.resize(2 + dns::kMaxMessage);
    next_sweep_ = Clock::now() + std::chrono::seconds(1);
}

Worker::~Worker() = default;

void Worker::add_to_epoll(int fd, Kind kind, std::uint32_t slot, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = (std::uint64_t{kind} << 32) | slot;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) throw_errno("epoll_ctl add");
}

void Worker::apply_table(std::shared_ptr<const ZoneTable> table, bool strict) {
    for (Listener& l : listeners_) {
        if (!l.open) continue;
        auto it = table->by_address.find(l.address);
        if (it != table->by_address.end()) {
            l.view = it->second;
            continue;
        }
        l.udp.reset();  // closing the fds also removes them from the epoll set
        l.tcp.reset();
        l.view.reset();
        l.open = false;
    }
    for (const auto& [address, view] : table->by_address) {
        bool have = false;
        for (const Listener& l : listeners_) have = have || (l.open && l.address == address);
        if (have) continue;
        UniqueFd udp, tcp;
        try {
            udp = open_udp_listener(address, options_.port);
            tcp = open_tcp_listener(address, options_.port);
        } catch (const Error& e) {
            if (strict) throw;
            std::fprintf(stderr, "berth-dns: %s (address skipped)\n", e.what());
            continue;
        }
        std::uint32_t slot = 0;
        while (slot < listeners_.size() && listeners_[slot].open) ++slot;
        if (slot == listeners_.size()) listeners_.emplace_back();
        Listener& l = listeners_[slot];
        l.address = address;
        l.udp = std::move(udp);
        l.tcp = std::move(tcp);
        l.view = view;
        l.open = true;
        ++l.generation;
        add_to_epoll(l.udp.get(), kUdp, slot, EPOLLIN);
        add_to_epoll(l.tcp.get(), kTcpListen, slot, EPOLLIN);
    }
    table_ = std::move(table);
    table_generation_ = table_->generation;
}

void Worker::refresh_table() {
    std::shared_ptr<const ZoneTable> table;
    {
        std::lock_guard lock(shared_.mutex);
        table = shared_.table;
    }
    if (table && table->generation != table_generation_) apply_table(std::move(table), false);
}

void Worker::wake() {
    std::uint64_t one = 1;
    ssize_t n = ::write(wake_.get(), &one, sizeof one);
    (void)n;  // a full counter already means "wake up"
}

void Worker::request_stop() {
    stop_.store(true);
    wake();
}

int Worker::next_timeout_ms() const {
    auto now = Clock::now();
    Clock::time_point next = Clock::time_point::max();
    if (!timers_.empty()) next = timers_.top().deadline;
    if (open_connections_ > 0 && next_sweep_ < next) next = next_sweep_;
    if (next == Clock::time_point::max()) return -1;
    if (next <= now) return 0;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count() + 1;
    return static_cast<int>(std::min<long long>(ms, 60000));
}

void Worker::run() {
    epoll_event events[64];
    while (!stop_.load(std::memory_order_relaxed)) {
        int n = ::epoll_wait(epoll_.get(), events, 64, next_timeout_ms());
        if (n < 0 && errno != EINTR) {
            std::fprintf(stderr, "berth-dns: epoll_wait: %s\n", describe_errno(errno).c_str());
            return;
        }
        if (shared_.generation.load(std::memory_order_acquire) != table_generation_)
            refresh_table();
        for (int i = 0; i < n; ++i) {
            auto kind = static_cast<Kind>(events[i].data.u64 >> 32);
            auto slot = static_cast<std::uint32_t>(events[i].data.u64);
            std::uint32_t what = events[i].events;
            switch (kind) {
                case kWake: {
                    std::uint64_t value;
                    ssize_t r = ::read(wake_.get(), &value, sizeof value);
                    (void)r;
                    break;
                }
                case kUdp:
                    if (slot < listeners_.size() && listeners_[slot].open) on_udp(slot);
                    break;
                case kTcpListen:
                    if (slot < listeners_.size() && listeners_[slot].open) on_tcp_accept(slot);
                    break;
                case kTcpConn:
                    if (slot >= connections_.size() || !connections_[slot].open) break;
                    if (what & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_tcp_readable(slot);
                    if ((what & EPOLLOUT) && connections_[slot].open) on_tcp_writable(slot);
                    break;
                case kUpstream:
                    on_upstream(slot);
                    break;
                case kUpstreamTcp:
                    if (slot < streams_.size() && streams_[slot].open) on_stream(slot);
                    break;
            }
        }
        expire_timers();
        if (Clock::now() >= next_sweep_) sweep_idle_connections();
    }
}

void Worker::on_udp(std::uint32_t slot) {
    Listener& listener = listeners_[slot];
    const int fd = listener.udp.get();
    const unsigned batch = std::clamp<unsigned>(options_.udp_batch, 1, kBatch);
    // At most 512 datagrams per wakeup, then back to epoll so TCP and upstream replies get
    // their turn.
    for (unsigned round = 0; round < 8 * kBatch / batch; ++round) {
        for (std::size_t i = 0; i < batch; ++i) {
            in_msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
            in_msgs_[i].msg_hdr.msg_flags = 0;
        }
        int n = ::recvmmsg(fd, in_msgs_.data(), batch, MSG_DONTWAIT, nullptr);
        if (n <= 0) break;
        unsigned replies = 0;
        std::uint64_t answered = 0, formerr = 0, dropped = 0;
        for (int i = 0; i < n; ++i) {
            const mmsghdr& m = in_msgs_[i];
            if ((m.msg_hdr.msg_flags & MSG_TRUNC) || m.msg_hdr.msg_namelen != sizeof(sockaddr_in)) {
                ++dropped;  // larger than any query we accept
                continue;
            }
            std::span<const std::uint8_t> packet(&in_buffers_[i * kUdpBuffer], m.msg_len);
            std::uint8_t* out = &out_buffers_[replies * kUdpBuffer];
            const auto& view = table_->view_for(in_addrs_[i].sin_addr.s_addr, listener.view);
            AnswerResult r = answer_query(view.get(), packet, parsed_, out, kUdpBuffer, true, rng_);
            if (r.outcome == Outcome::kAnswer) {
                out_iov_[replies].iov_len = r.size;
                out_msgs_[replies].msg_hdr.msg_name = &in_addrs_[i];
                out_msgs_[replies].msg_hdr.msg_namelen = sizeof(sockaddr_in);
                ++replies;
                if (r.rcode == dns::kFormErr)
                    ++formerr;
                else
                    ++answered;
            } else if (r.outcome == Outcome::kForward) {
                Client client;
                client.slot = slot;
                client.slot_generation = listener.generation;
                client.address = in_addrs_[i];
                client.udp_limit = udp_response_limit(parsed_);
                forward(view, packet, client);
            } else {
                ++dropped;
            }
        }
        WorkerCounters::bump(counters_.queries, answered + formerr);
        WorkerCounters::bump(counters_.answered_local, answered);
        WorkerCounters::bump(counters_.formerr, formerr);
        WorkerCounters::bump(counters_.dropped, dropped);
        unsigned sent = 0;
        while (sent < replies) {
            int r = ::sendmmsg(fd, out_msgs_.data() + sent, replies - sent, 0);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;  // socket buffer full: UDP clients retry
            sent += static_cast<unsigned>(r);
        }
        if (n < static_cast<int>(batch)) break;
    }
}

}  // namespace berth::netns
