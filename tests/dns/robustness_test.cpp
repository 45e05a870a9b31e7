// Hostile and broken packets over the wire: berth-dns answers FORMERR (or nothing), never
// crashes, and keeps answering good queries.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include <random>

#include "dns_test_support.h"

namespace berth::test {
namespace {

namespace dns = netns::dns;

netns::DnsNetworkFile small_net() {
    netns::DnsNetworkFile file;
    file.listen = {"127.0.0.1"};
    file.records = {{"a", {"web"}, "10.88.0.2"}, {"b", {"web"}, "10.88.0.3"}};
    return file;
}

std::uint8_t rcode_of_reply(const Bytes& reply) {
    return reply.size() >= 4 ? reply[3] & 0xF : 0xFF;
}

TEST(DnsRobustness, TruncatedQueriesGetFormErrOrNothing) {
    BerthDns server;
    server.write_network("n", small_net());
    ASSERT_TRUE(server.wait_for("a", "10.88.0.2"));
    Bytes query = build_query("web", dns::kTypeA, 0x4242, true);
    for (std::size_t length = 0; length < query.size(); ++length) {
        Bytes cut(query.begin(), query.begin() + static_cast<long>(length));
        auto reply = udp_exchange(server.port, cut, length < dns::kHeaderSize ? 100ms : 1000ms);
        if (length < dns::kHeaderSize) {
            EXPECT_FALSE(reply) << "answered a " << length << "-byte packet";
            continue;
        }
        ASSERT_TRUE(reply) << "no answer for a query cut at " << length;
        EXPECT_EQ(rcode_of_reply(*reply), dns::kFormErr) << "cut at " << length;
        EXPECT_EQ(parse_reply(*reply).id, 0x4242);
    }
    EXPECT_EQ(a_addresses(parse_reply(*udp_exchange(server.port, query))).size(), 2u);
}

TEST(DnsRobustness, HostileHeadersAndNames) {
    BerthDns server;
    server.write_network("n", small_net());
    ASSERT_TRUE(server.wait_for("a", "10.88.0.2"));
    Bytes good = build_query("a", dns::kTypeA, 7);

    Bytes response = good;  // QR set: a response is never answered (no reflection loops)
    response[2] |= 0x80;
    EXPECT_FALSE(udp_exchange(server.port, response, 200ms));

    Bytes notify = good;  // opcode NOTIFY
    notify[2] = static_cast<std::uint8_t>((notify[2] & 0x87) | (4 << 3));
    EXPECT_EQ(rcode_of_reply(*udp_exchange(server.port, notify)), dns::kNotImp);

    Bytes two_questions = good;
    two_questions[5] = 2;
    EXPECT_EQ(rcode_of_reply(*udp_exchange(server.port, two_questions)), dns::kFormErr);

    // A compression pointer pointing at itself in the question name.
    Bytes loop = {0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1};
    EXPECT_EQ(rcode_of_reply(*udp_exchange(server.port, loop)), dns::kFormErr);

    Bytes long_label(12 + 1 + 64 + 5, 0);  // a 64-byte label (63 is the most)
    long_label[1] = 10;
    long_label[5] = 1;
    long_label[12] = 64;
    for (std::size_t i = 13; i < 13 + 64; ++i) long_label[i] = 'x';
    long_label[13 + 64 + 2] = 1;
    long_label[13 + 64 + 4] = 1;
    EXPECT_EQ(rcode_of_reply(*udp_exchange(server.port, long_label)), dns::kFormErr);

    // EDNS version 1: BADVERS (extended rcode 1 in the OPT, low bits 0).
    Bytes edns1 = build_query("a", dns::kTypeA, 11, true);
    edns1[edns1.size() - 5] = 1;  // OPT TTL's version byte
    auto reply = udp_exchange(server.port, edns1);
    ASSERT_TRUE(reply);
    dns::Message m = parse_reply(*reply);
    ASSERT_EQ(m.additional.size(), 1u);
    EXPECT_EQ(m.additional[0].ttl >> 24, 1u);
    EXPECT_EQ(m.rcode(), 0);

    EXPECT_EQ(a_addresses(parse_reply(*udp_exchange(server.port, good))).size(), 1u);
}

TEST(DnsRobustness, FuzzedDatagramsAndStreamsNeverCrashIt) {
    BerthDns server;
    server.write_network("n", small_net());
    ASSERT_TRUE(server.wait_for("a", "10.88.0.2"));
    std::mt19937 rng(20261201);
    std::vector<Bytes> seeds = {build_query("web", dns::kTypeA, 1, true),
                                build_query("10.0.88.10.in-addr.arpa", dns::kTypePtr, 2),
                                build_query("x.y.example", dns::kTypeAaaa, 3, true)};
    // Bursts of 100 on one socket, then every reply is collected (no per-packet wait).
    UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(server.port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
    int answered = 0;
    for (int burst = 0; burst < 50; ++burst) {
        for (int i = 0; i < 100; ++i) {
            Bytes packet;
            if (i % 3 == 0) {  // random bytes of random length
                packet.resize(rng() % 300);
                for (auto& b : packet) b = static_cast<std::uint8_t>(rng());
            } else {  // a good query with a few bits flipped
                packet = seeds[rng() % seeds.size()];
                for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips)
                    packet[rng() % packet.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
            }
            ASSERT_GE(::send(fd.get(), packet.data(), packet.size(), 0), 0);
        }
        std::uint8_t reply[65536];
        pollfd p{fd.get(), POLLIN, 0};
        while (::poll(&p, 1, 50) == 1) {
            ssize_t n = ::recv(fd.get(), reply, sizeof reply, 0);
            if (n < 0) break;
            ++answered;
            dns::Message m;
            ASSERT_TRUE(dns::parse_message({reply, static_cast<std::size_t>(n)}, m))
                << "berth-dns sent a malformed reply";
            EXPECT_TRUE(m.flags & dns::kFlagQr);
        }
    }
    EXPECT_GT(answered, 2000);  // most mutants still get an answer (often FORMERR)
    // Streams: garbage frames, a frame longer than what follows, then a hang-up.
    for (int i = 0; i < 50; ++i) {
        Bytes frame(rng() % 200);
        for (auto& b : frame) b = static_cast<std::uint8_t>(rng());
        tcp_exchange(server.port, {frame, seeds[0]}, 50ms);
    }
    ASSERT_TRUE(server.alive()) << server.log();
    auto reply = udp_exchange(server.port, seeds[0]);
    ASSERT_TRUE(reply);
    EXPECT_EQ(a_addresses(parse_reply(*reply)).size(), 2u);
    auto replies = tcp_exchange(server.port, {seeds[0]});
    ASSERT_EQ(replies.size(), 1u);
}

}  // namespace
}  // namespace berth::test
