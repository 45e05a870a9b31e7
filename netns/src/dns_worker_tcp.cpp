// Worker: DNS over TCP (RFC 7766): 2-byte length-prefixed messages, several per connection
// (pipelined), non-blocking writes with a bounded backlog, idle connections closed.
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "dns_worker.h"

namespace berth::netns {

namespace {
constexpr std::size_t kMaxOutBacklog = 1 << 20;  // a client that does not read is dropped
}

void Worker::on_tcp_accept(std::uint32_t slot) {
    const std::uint32_t address = listeners_[slot].address;
    for (;;) {
        sockaddr_in peer{};
        socklen_t peer_length = sizeof peer;
        int fd = ::accept4(listeners_[slot].tcp.get(), reinterpret_cast<sockaddr*>(&peer),
                           &peer_length, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;  // EAGAIN, or a connection that died before we got to it
        UniqueFd owned(fd);
        if (open_connections_ >= options_.max_tcp_connections) continue;  // closed at once
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::uint32_t index = 0;
        while (index < connections_.size() && connections_[index].open) ++index;
        if (index == connections_.size()) connections_.emplace_back();
        Connection& c = connections_[index];
        c.fd = std::move(owned);
        c.listen_address = address;
        c.client_address = peer.sin_addr.s_addr;
        ++c.generation;
        c.in.clear();
        c.out.clear();
        c.out_sent = 0;
        c.last_active = Clock::now();
        c.open = true;
        c.writing = false;
        ++open_connections_;
        add_to_epoll(fd, kTcpConn, index, EPOLLIN | EPOLLRDHUP);
    }
}

void Worker::on_tcp_readable(std::uint32_t slot) {
    Connection& c = connections_[slot];
    std::uint8_t buffer[16384];
    bool peer_closed = false;
    for (;;) {
        ssize_t n = ::read(c.fd.get(), buffer, sizeof buffer);
        if (n > 0) {
            c.in.insert(c.in.end(), buffer, buffer + n);
            if (c.in.size() > 4 * (2 + dns::kMaxMessage)) break;  // process before reading more
            continue;
        }
        if (n == 0)
            peer_closed = true;
        else if (errno == EINTR)
            continue;
        else if (errno != EAGAIN)
            peer_closed = true;
        break;
    }
    c.last_active = Clock::now();

    std::shared_ptr<const ZoneView> view;
    if (auto it = table_->by_address.find(c.listen_address); it != table_->by_address.end())
        view = table_->view_for(c.client_address, it->second);
    const std::uint64_t generation = c.generation;
    std::size_t consumed = 0;
    while (c.open && c.in.size() - consumed >= 2) {
        std::size_t length = dns::read_u16(&c.in[consumed]);
        if (c.in.size() - consumed - 2 < length) break;
        std::span<const std::uint8_t> message(&c.in[consumed + 2], length);
        consumed += 2 + length;
        AnswerResult r = answer_query(view.get(), message, parsed_, scratch_.data() + 2,
                                      dns::kMaxMessage, false, rng_);
        if (r.outcome == Outcome::kAnswer) {
            WorkerCounters::bump(counters_.queries);
            WorkerCounters::bump(r.rcode == dns::kFormErr ? counters_.formerr
                                                          : counters_.answered_local);
            dns::write_u16(scratch_.data(), static_cast<std::uint16_t>(r.size));
            tcp_send(slot, scratch_.data(), r.size + 2);
        } else if (r.outcome == Outcome::kForward) {
            Client client;
            client.tcp = true;
            client.slot = slot;
            client.slot_generation = generation;
            forward(view, message, client);
        } else {
            WorkerCounters::bump(counters_.dropped);
        }
    }
    if (!c.open) return;
    c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(consumed));
    if (peer_closed && c.out.size() == c.out_sent)
        close_connection(slot);
    else if (peer_closed)
        c.in.clear();  // half-closed: finish writing what is queued
}

void Worker::tcp_send(std::uint32_t slot, const std::uint8_t* data, std::size_t size) {
    Connection& c = connections_[slot];
    if (!c.open) return;
    std::size_t done = 0;
    if (c.out.size() == c.out_sent) {
        ssize_t n = ::send(c.fd.get(), data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            close_connection(slot);
            return;
        }
        done = n > 0 ? static_cast<std::size_t>(n) : 0;
        if (done == size) return;
        c.out.clear();
        c.out_sent = 0;
    }
    c.out.insert(c.out.end(), data + done, data + size);
    if (c.out.size() - c.out_sent > kMaxOutBacklog) {
        close_connection(slot);
        return;
    }
    if (!c.writing) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP | EPOLLOUT;
        ev.data.u64 = (std::uint64_t{kTcpConn} << 32) | slot;
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
        c.writing = true;
    }
}

void Worker::on_tcp_writable(std::uint32_t slot) {
    Connection& c = connections_[slot];
    while (c.out_sent < c.out.size()) {
        ssize_t n = ::send(c.fd.get(), c.out.data() + c.out_sent, c.out.size() - c.out_sent,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) {
            close_connection(slot);
            return;
        }
        c.out_sent += static_cast<std::size_t>(n);
    }
    c.out.clear();
    c.out_sent = 0;
    c.last_active = Clock::now();
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = (std::uint64_t{kTcpConn} << 32) | slot;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
    c.writing = false;
}

void Worker::close_connection(std::uint32_t slot) {
    Connection& c = connections_[slot];
    if (!c.open) return;
    c.fd.reset();
    c.open = false;
    c.writing = false;
    std::vector<std::uint8_t>().swap(c.in);
    std::vector<std::uint8_t>().swap(c.out);
    c.out_sent = 0;
    --open_connections_;
}

void Worker::sweep_idle_connections() {
    auto now = Clock::now();
    next_sweep_ = now + std::chrono::seconds(1);
    for (std::uint32_t i = 0; i < connections_.size(); ++i)
        if (connections_[i].open && now - connections_[i].last_active > options_.tcp_idle_timeout)
            close_connection(i);
}

}  // namespace berth::netns
