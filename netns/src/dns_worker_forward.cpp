// Worker: forwarding to upstream resolvers. Each forwarded query gets an unpredictable id
// (getrandom) and its own connected UDP socket (a fresh random source port per attempt, so an
// off-path spoofer has to guess 32 bits, and the kernel drops replies from anyone but that
// upstream). It goes to the view's upstreams in order (each gets an equal share of the timeout
// budget; ICMP port unreachable or a SERVFAIL/REFUSED answer moves on at once), and the client
// gets the upstream's reply with its own id back, or SERVFAIL when the budget is spent.
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "berth/error.h"
#include "dns_socket.h"
#include "dns_worker.h"

namespace berth::netns {

namespace {

// Each in-flight query holds a socket: bounded well below the fd limit main() raises.
constexpr std::size_t kMaxPending = 4096;
constexpr std::uint32_t kNoSlot = 0xFFFFFFFF;

bool same_question(std::span<const std::uint8_t> reply, const std::vector<std::uint8_t>& query,
                   std::size_t question_end) {
    if (reply.size() < question_end || dns::read_u16(&reply[4]) != 1) return false;
    for (std::size_t i = dns::kHeaderSize; i < question_end; ++i) {
        std::uint8_t a = reply[i], b = query[i];
        if (a >= 'A' && a <= 'Z') a += 32;
        if (b >= 'A' && b <= 'Z') b += 32;
        if (a != b) return false;
    }
    return true;
}

}  // namespace

std::uint16_t Worker::random_id() {
    if (random_used_ + 2 > sizeof random_pool_) {
        ssize_t n = ::getrandom(random_pool_, sizeof random_pool_, 0);
        if (n != static_cast<ssize_t>(sizeof random_pool_)) {
            // Never expected after boot; fall back rather than stop forwarding.
            for (auto& byte : random_pool_) byte = static_cast<std::uint8_t>(rng_.next() >> 56);
        }
        random_used_ = 0;
    }
    std::uint16_t id = dns::read_u16(random_pool_ + random_used_);
    random_used_ += 2;
    return id;
}

void Worker::forward(const std::shared_ptr<const ZoneView>& view,
                     std::span<const std::uint8_t> packet, const Client& client) {
    WorkerCounters::bump(counters_.queries);
    WorkerCounters::bump(counters_.forwarded);
    Pending pending;
    pending.client = client;
    pending.client_id = parsed_.id;
    pending.question_end = parsed_.question_end;
    pending.query.assign(packet.begin(), packet.end());
    pending.view = view;
    pending.started = Clock::now();
    std::uint16_t id = 0;
    bool found = false;
    for (int tries = 0; tries < 64 && pending_.size() < kMaxPending; ++tries) {
        id = random_id();
        if (!pending_.count(id)) {
            found = true;
            break;
        }
    }
    if (!found) {
        // Too many queries in flight: answer SERVFAIL rather than queue without bound.
        fail_unlisted(pending);
        return;
    }
    auto it = pending_.emplace(id, std::move(pending)).first;
    dns::write_u16(it->second.query.data(), id);
    if (!send_attempt(id, it->second)) fail(id, it->second);
}

bool Worker::send_attempt(std::uint16_t id, Pending& pending) {
    const auto& upstreams = pending.view->upstreams;
    const std::size_t count = upstreams.size();
    while (pending.attempt < count) {
        pending.socket.reset();  // the previous attempt's late answers are not wanted
        try {
            pending.socket = open_upstream_socket(upstreams[pending.attempt]);
        } catch (const Error& e) {
            std::fprintf(stderr, "berth-dns: %s\n", e.what());  // e.g. EMFILE
            ++pending.attempt;
            continue;
        }
        ssize_t n = ::send(pending.socket.get(), pending.query.data(), pending.query.size(),
                           MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n == static_cast<ssize_t>(pending.query.size())) {
            add_to_epoll(pending.socket.get(), kUpstream, id, EPOLLIN);
            pending.sequence = next_sequence_++;
            auto share = options_.upstream_timeout * static_cast<long>(pending.attempt + 1) /
                         static_cast<long>(count);
            timers_.push({pending.started + share, id, pending.sequence});
            return true;
        }
        ++pending.attempt;  // unreachable right now (no route...): next one
    }
    pending.socket.reset();
    return false;
}

void Worker::on_upstream(std::uint32_t slot) {
    const auto id = static_cast<std::uint16_t>(slot);
    auto it = pending_.find(id);
    if (it == pending_.end() || !it->second.socket) return;  // answered or timed out already
    Pending& pending = it->second;
    for (;;) {
        ssize_t n = ::recv(pending.socket.get(), scratch_.data(), dns::kMaxMessage, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n < 0) {
            // ECONNREFUSED (ICMP port unreachable) and the like: nobody answers there.
            ++pending.attempt;
            if (!send_attempt(id, pending)) fail(id, pending);
            return;
        }
        std::span<const std::uint8_t> reply(scratch_.data(), static_cast<std::size_t>(n));
        if (reply.size() < dns::kHeaderSize) continue;
        std::uint16_t flags = dns::read_u16(reply.data() + 2);
        if (dns::read_u16(reply.data()) != id || !(flags & dns::kFlagQr) ||
            !same_question(reply, pending.query, pending.question_end))
            continue;  // not the answer to what we asked
        std::uint8_t rcode = dns::rcode_of(flags);
        if ((rcode == dns::kServFail || rcode == dns::kRefused) &&
            pending.attempt + 1 < pending.view->upstreams.size()) {
            ++pending.attempt;
            if (!send_attempt(id, pending)) fail(id, pending);
            return;
        }
        pending.socket.reset();
        // Truncated for a TCP client: ask the same upstream again over TCP.
        if ((flags & dns::kFlagTc) && pending.client.tcp && start_stream(id, pending)) return;
        std::uint8_t* data = scratch_.data();
        std::size_t size = reply.size();
        dns::write_u16(data, pending.client_id);
        if (!pending.client.tcp && size > pending.client.udp_limit) {
            // Too big for the client's UDP payload: header + question with TC, it retries TCP.
            size = pending.question_end;
            dns::write_u16(data + 2, flags | dns::kFlagTc);
            std::memset(data + 6, 0, 6);
        }
        deliver(pending.client, {data, size});
        pending_.erase(it);
        return;
    }
}

void Worker::expire_timers() {
    if (timers_.empty()) return;
    auto now = Clock::now();
    while (!timers_.empty() && timers_.top().deadline <= now) {
        Timer timer = timers_.top();
        timers_.pop();
        auto it = pending_.find(timer.id);
        if (it == pending_.end() || it->second.sequence != timer.sequence) continue;
        close_stream(it->second);
        ++it->second.attempt;
        if (!send_attempt(timer.id, it->second)) fail(timer.id, it->second);
    }
}

void Worker::fail(std::uint16_t id, Pending& pending) {
    close_stream(pending);
    fail_unlisted(pending);
    pending_.erase(id);
}

void Worker::fail_unlisted(Pending& pending) {
    WorkerCounters::bump(counters_.servfail);
    dns::ParsedQuery query;
    dns::write_u16(pending.query.data(), pending.client_id);
    if (dns::parse_query(pending.query, query) != dns::QueryCheck::kOk) return;
    std::uint8_t response[1024];
    std::size_t size =
        write_error_response(pending.query, query, dns::kServFail, response,
                             pending.client.tcp ? sizeof response : pending.client.udp_limit);
    if (size) deliver(pending.client, {response, size});
}

void Worker::deliver(const Client& client, std::span<const std::uint8_t> response) {
    if (!client.tcp) {
        if (client.slot >= listeners_.size()) return;
        const Listener& listener = listeners_[client.slot];
        if (!listener.open || listener.generation != client.slot_generation) return;
        ::sendto(listener.udp.get(), response.data(), response.size(), MSG_DONTWAIT,
                 reinterpret_cast<const sockaddr*>(&client.address), sizeof client.address);
        return;
    }
    if (client.slot >= connections_.size()) return;
    const Connection& c = connections_[client.slot];
    if (!c.open || c.generation != client.slot_generation) return;
    std::vector<std::uint8_t> framed(2 + response.size());
    dns::write_u16(framed.data(), static_cast<std::uint16_t>(response.size()));
    std::memcpy(framed.data() + 2, response.data(), response.size());
    tcp_send(client.slot, framed.data(), framed.size());
}

}  // namespace berth::netns
