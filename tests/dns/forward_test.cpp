// Names outside the zones go to upstream resolvers the test itself runs on loopback.
#include <gtest/gtest.h>

#include <algorithm>

#include "dns_test_support.h"
#include "support/subprocess.h"

namespace berth::test {
namespace {

namespace dns = netns::dns;
using Clock = std::chrono::steady_clock;

netns::DnsNetworkFile net_with(std::vector<std::string> upstreams) {
    netns::DnsNetworkFile file;
    file.listen = {"127.0.0.1"};
    file.records = {{"a", {}, "10.88.0.2"}};
    file.upstreams = std::move(upstreams);
    return file;
}

TEST(DnsForward, OtherNamesGoToTheNetworkFilesUpstream) {
    Dnsmasq upstream;
    BerthDns server;  // empty resolv.conf: the file's upstream is the only one
    server.write_network("n", net_with({"127.0.0.1:" + std::to_string(upstream.port)}));
    ASSERT_TRUE(server.wait_for("a", "10.88.0.2"));
    auto reply = udp_exchange(server.port, build_query("www.up.test", dns::kTypeA, 77, true));
    ASSERT_TRUE(reply);
    dns::Message m = parse_reply(*reply);
    EXPECT_EQ(m.id, 77);
    EXPECT_EQ(m.rcode(), dns::kNoError);
    EXPECT_EQ(a_addresses(m), std::vector<std::string>{"127.0.0.9"});
    // Over TCP as well (forwarded over UDP, answered on the client's connection).
    auto replies = tcp_exchange(server.port, {build_query("up.test", dns::kTypeA, 78)});
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(a_addresses(parse_reply(replies[0])), std::vector<std::string>{"127.0.0.9"});
    // The upstream's negative answer is relayed too.
    reply = udp_exchange(server.port, build_query("other.example", dns::kTypeA, 79));
    ASSERT_TRUE(reply);
    EXPECT_EQ(parse_reply(*reply).rcode(), dns::kRefused);  // dnsmasq --no-resolv: REFUSED
}

TEST(DnsForward, ResolvConfUpstreamIsUsedWhenTheFileNamesNone) {
    // resolv.conf names no port: the test's dnsmasq listens on 53 of a loopback address of its
    // own, and berth-dns keeps that loopback upstream (it runs in the host's namespace).
    Dnsmasq upstream(random_loopback_address());
    BerthDns server({upstream.address});
    server.write_network("n", net_with({}));
    ASSERT_TRUE(server.wait_for("a", "10.88.0.2"));
    auto reply = udp_exchange(server.port, build_query("deep.up.test", dns::kTypeA, 5));
    ASSERT_TRUE(reply);
    EXPECT_EQ(a_addresses(parse_reply(*reply)), std::vector<std::string>{"127.0.0.9"});
}

TEST(DnsForward, RefusingUpstreamGivesServfailAtOnce) {
    // A port nobody listens on: the ICMP error moves the query on without waiting.
    std::uint16_t closed_port = free_port();
    BerthDns server({}, 5000ms);
    server.write_network("n", net_with({"127.0.0.1:" + std::to_string(closed_port)}));
    ASSERT_TRUE(server.wait_for("a", "10.88.0.2"));
    auto start = Clock::now();
    auto reply = udp_exchange(server.port, build_query("x.example", dns::kTypeA, 5), 3000ms);
    ASSERT_TRUE(reply);
    EXPECT_EQ(parse_reply(*reply).rcode(), dns::kServFail);
    EXPECT_LT(Clock::now() - start, 3000ms);  // far below the 5 s budget
}

TEST(DnsForward, SilentUpstreamGivesServfailWhenTheBudgetIsSpent) {
    SilentUpstream silent;
    BerthDns server({}, 400ms);
    server.write_network("n", net_with({"127.0.0.1:" + std::to_string(silent.port)}));
    ASSERT_TRUE(server.wait_for("a", "10.88.0.2"));
    auto start = Clock::now();
    auto reply = udp_exchange(server.port, build_query("slow.example", dns::kTypeA, 6), 3000ms);
    auto waited = Clock::now() - start;
    ASSERT_TRUE(reply) << "no SERVFAIL within 3 s";
    dns::Message m = parse_reply(*reply);
    EXPECT_EQ(m.rcode(), dns::kServFail);
    ASSERT_EQ(m.questions.size(), 1u);
    EXPECT_EQ(m.questions[0].name, "slow.example.");
    EXPECT_GE(waited, 350ms);   // it did wait for the upstream...
    EXPECT_LT(waited, 2500ms);  // ...and gave up at its budget, not the client's timeout
    EXPECT_EQ(silent.received(), 1u);
}

TEST(DnsForward, NextUpstreamAnswersWhenTheFirstIsSilent) {
    SilentUpstream silent;
    Dnsmasq upstream;
    BerthDns server({}, 1000ms);
    server.write_network("n", net_with({"127.0.0.1:" + std::to_string(silent.port),
                                        "127.0.0.1:" + std::to_string(upstream.port)}));
    ASSERT_TRUE(server.wait_for("a", "10.88.0.2"));
    auto reply = udp_exchange(server.port, build_query("up.test", dns::kTypeA, 8), 3000ms);
    ASSERT_TRUE(reply);
    EXPECT_EQ(a_addresses(parse_reply(*reply)), std::vector<std::string>{"127.0.0.9"});
    EXPECT_EQ(silent.received(), 1u);
}

TEST(DnsForward, TruncatedUpstreamAnswerIsFetchedOverTcpForTcpClients) {
    // Eight 200-byte TXT strings: ~1.7 KB, too big for 512-byte UDP.
    std::vector<std::string> txt;
    for (int i = 0; i < 8; ++i)
        txt.push_back("--txt-record=big.up.test," + std::to_string(i) + std::string(200, 'x'));
    Dnsmasq upstream("", txt);
    BerthDns server;
    server.write_network("n", net_with({"127.0.0.1:" + std::to_string(upstream.port)}));
    ASSERT_TRUE(server.wait_for("a", "10.88.0.2"));
    auto reply = udp_exchange(server.port, build_query("big.up.test", dns::kTypeTxt, 21));
    ASSERT_TRUE(reply);
    EXPECT_TRUE(parse_reply(*reply).flags & dns::kFlagTc);  // UDP client: told to use TCP
    auto replies = tcp_exchange(server.port, {build_query("big.up.test", dns::kTypeTxt, 22)});
    ASSERT_EQ(replies.size(), 1u);
    dns::Message m = parse_reply(replies[0]);
    EXPECT_EQ(m.id, 22);
    EXPECT_FALSE(m.flags & dns::kFlagTc);
    EXPECT_EQ(m.answers.size(), 8u);
    Result dig = run({"/usr/bin/dig", "@127.0.0.1", "-p", std::to_string(server.port), "+short",
                      "+noedns", "-t", "TXT", "-q", "big.up.test"});  // UDP, TC, then TCP
    EXPECT_EQ(std::count(dig.out.begin(), dig.out.end(), '\n'), 8) << dig.out << dig.err;
}

TEST(DnsForward, SingleLabelNamesAreNeverForwarded) {
    SilentUpstream silent;
    BerthDns server({}, 400ms);
    server.write_network("n", net_with({"127.0.0.1:" + std::to_string(silent.port)}));
    ASSERT_TRUE(server.wait_for("a", "10.88.0.2"));
    auto reply = udp_exchange(server.port, build_query("printer", dns::kTypeA, 9));
    ASSERT_TRUE(reply);
    EXPECT_EQ(parse_reply(*reply).rcode(), dns::kNxDomain);
    EXPECT_EQ(silent.received(), 0u);
}

}  // namespace
}  // namespace berth::test
