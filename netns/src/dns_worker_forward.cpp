// Worker: forwarding to upstream resolvers. Each forwarded query gets a fresh random id,
// goes to the view's upstreams in order (each gets an equal share of the timeout budget; a
// SERVFAIL/REFUSED answer moves on at once), and the client gets the upstream's reply with its
// own id back, or SERVFAIL when the budget is spent.
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "berth/error.h"
#include "dns_socket.h"
#include "dns_worker.h"

namespace berth::netns {

namespace {

constexpr std::size_t kMaxPending = 16384;
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

std::uint32_t Worker::upstream_slot(const sockaddr_in& address) {
    for (std::uint32_t i = 0; i < upstreams_.size(); ++i)
        if (upstreams_[i].address.sin_addr.s_addr == address.sin_addr.s_addr &&
            upstreams_[i].address.sin_port == address.sin_port)
            return i;
    try {
        Upstream upstream{open_upstream_socket(address), address};
        add_to_epoll(upstream.fd.get(), kUpstream, static_cast<std::uint32_t>(upstreams_.size()),
                     EPOLLIN);
        upstreams_.push_back(std::move(upstream));
        return static_cast<std::uint32_t>(upstreams_.size() - 1);
    } catch (const Error& e) {
        std::fprintf(stderr, "berth-dns: %s\n", e.what());
        return kNoSlot;
    }
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
        id = static_cast<std::uint16_t>(rng_.next() >> 48);
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
        std::uint32_t slot = upstream_slot(upstreams[pending.attempt]);
        if (slot != kNoSlot) {
            ssize_t n = ::send(upstreams_[slot].fd.get(), pending.query.data(),
                               pending.query.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n == static_cast<ssize_t>(pending.query.size())) {
                pending.upstream_slot = slot;
                pending.sequence = next_sequence_++;
                auto share = options_.upstream_timeout * static_cast<long>(pending.attempt + 1) /
                             static_cast<long>(count);
                timers_.push({pending.started + share, id, pending.sequence});
                return true;
            }
        }
        ++pending.attempt;  // unreachable right now (e.g. ECONNREFUSED): next one
    }
    return false;
}

void Worker::on_upstream(std::uint32_t slot) {
    if (slot >= upstreams_.size()) return;
    for (int round = 0; round < 256; ++round) {
        ssize_t n =
            ::recv(upstreams_[slot].fd.get(), scratch_.data(), dns::kMaxMessage, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n < 0 && errno == ECONNREFUSED) {
            // ICMP port unreachable: nobody listens there; move its queries on right away.
            advance_queries_of(slot);
            continue;
        }
        if (n < 0) continue;
        std::span<const std::uint8_t> reply(scratch_.data(), static_cast<std::size_t>(n));
        if (reply.size() < dns::kHeaderSize) continue;
        std::uint16_t id = dns::read_u16(reply.data());
        std::uint16_t flags = dns::read_u16(reply.data() + 2);
        auto it = pending_.find(id);
        if (it == pending_.end()) continue;  // late (already answered or timed out)
        Pending& pending = it->second;
        if (pending.upstream_slot != slot || pending.stream_slot != kNoSlot ||
            !(flags & dns::kFlagQr) || !same_question(reply, pending.query, pending.question_end))
            continue;  // not the answer to what we asked this upstream
        std::uint8_t rcode = dns::rcode_of(flags);
        if ((rcode == dns::kServFail || rcode == dns::kRefused) &&
            pending.attempt + 1 < pending.view->upstreams.size()) {
            ++pending.attempt;
            if (!send_attempt(id, pending)) fail(id, pending);
            continue;
        }
        // Truncated for a TCP client: ask the same upstream again over TCP.
        if ((flags & dns::kFlagTc) && pending.client.tcp && start_stream(id, pending)) continue;
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
    }
}

void Worker::advance_queries_of(std::uint32_t slot) {
    std::vector<std::uint16_t> ids;
    for (const auto& [id, pending] : pending_)
        if (pending.upstream_slot == slot) ids.push_back(id);
    for (std::uint16_t id : ids) {
        auto it = pending_.find(id);
        if (it == pending_.end()) continue;
        ++it->second.attempt;
        if (!send_attempt(id, it->second)) fail(id, it->second);
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
