// Worker: TCP retries to an upstream. A TCP client must get the whole answer, so when the
// upstream's UDP reply is truncated (TC) the same query goes to the same upstream over TCP,
// non-blocking, within what is left of that upstream's share of the timeout budget.
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "dns_worker.h"

namespace berth::netns {

namespace {
constexpr std::uint32_t kNoStream = 0xFFFFFFFF;
}

bool Worker::start_stream(std::uint16_t id, Pending& pending) {
    const sockaddr_in& address = pending.view->upstreams[pending.attempt];
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) return false;
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 &&
        errno != EINPROGRESS)
        return false;
    std::uint32_t slot = 0;
    while (slot < streams_.size() && streams_[slot].open) ++slot;
    if (slot == streams_.size()) streams_.emplace_back();
    UpstreamStream& stream = streams_[slot];
    stream.fd = std::move(fd);
    stream.id = id;
    stream.buffer.resize(2 + pending.query.size());
    dns::write_u16(stream.buffer.data(), static_cast<std::uint16_t>(pending.query.size()));
    std::memcpy(stream.buffer.data() + 2, pending.query.data(), pending.query.size());
    stream.sent = 0;
    stream.reading = false;
    stream.open = true;
    add_to_epoll(stream.fd.get(), kUpstreamTcp, slot, EPOLLOUT);
    pending.stream_slot = slot;
    return true;
}

void Worker::close_stream(Pending& pending) {
    if (pending.stream_slot == kNoStream) return;
    UpstreamStream& stream = streams_[pending.stream_slot];
    stream.fd.reset();
    stream.open = false;
    std::vector<std::uint8_t>().swap(stream.buffer);
    pending.stream_slot = kNoStream;
}

void Worker::stream_failed(std::uint16_t id, Pending& pending) {
    close_stream(pending);
    ++pending.attempt;  // this upstream cannot give the whole answer: the next one may
    if (!send_attempt(id, pending)) fail(id, pending);
}

void Worker::on_stream(std::uint32_t slot) {
    UpstreamStream& stream = streams_[slot];
    auto it = pending_.find(stream.id);
    if (it == pending_.end() || it->second.stream_slot != slot) {
        stream.fd.reset();
        stream.open = false;
        return;
    }
    Pending& pending = it->second;
    if (!stream.reading) {
        int error = 0;
        socklen_t length = sizeof error;
        if (::getsockopt(stream.fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error) {
            stream_failed(stream.id, pending);
            return;
        }
        while (stream.sent < stream.buffer.size()) {
            ssize_t n = ::send(stream.fd.get(), stream.buffer.data() + stream.sent,
                               stream.buffer.size() - stream.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0 && errno == EAGAIN) return;
            if (n <= 0) {
                stream_failed(stream.id, pending);
                return;
            }
            stream.sent += static_cast<std::size_t>(n);
        }
        stream.reading = true;
        stream.buffer.clear();
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = (std::uint64_t{kUpstreamTcp} << 32) | slot;
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, stream.fd.get(), &ev);
        return;
    }
    std::uint8_t chunk[16384];
    for (;;) {
        ssize_t n = ::recv(stream.fd.get(), chunk, sizeof chunk, MSG_DONTWAIT);
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) {  // closed before a whole answer
            stream_failed(stream.id, pending);
            return;
        }
        stream.buffer.insert(stream.buffer.end(), chunk, chunk + n);
        if (stream.buffer.size() < 2) continue;
        std::size_t length = dns::read_u16(stream.buffer.data());
        if (stream.buffer.size() < 2 + length) continue;
        std::span<std::uint8_t> reply(stream.buffer.data() + 2, length);
        if (length < dns::kHeaderSize || dns::read_u16(reply.data()) != stream.id ||
            !(dns::read_u16(reply.data() + 2) & dns::kFlagQr)) {
            stream_failed(stream.id, pending);
            return;
        }
        std::uint16_t id = stream.id;
        dns::write_u16(reply.data(), pending.client_id);
        deliver(pending.client, reply);
        close_stream(pending);
        pending_.erase(id);
        return;
    }
}

}  // namespace berth::netns
