// berth-dns as a process, queried over real UDP and TCP sockets on loopback.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>

#include <algorithm>
#include <set>
#include <thread>

#include "berth/file_io.h"
#include "dns_test_support.h"
#include "support/subprocess.h"

namespace berth::test {
namespace {

namespace dns = netns::dns;

netns::DnsNetworkFile mynet() {
    netns::DnsNetworkFile file;
    file.listen = {"127.0.0.1"};
    file.domain = "mynet";
    file.records = {{"a", {"web"}, "10.88.0.2"},
                    {"b", {"web"}, "10.88.0.3"},
                    {"c", {"web", "cache"}, "10.88.0.4"}};
    return file;
}

dns::Message ask(BerthDns& server, const std::string& name, std::uint16_t type, bool edns = false) {
    static std::uint16_t id = 1;
    auto reply = udp_exchange(server.port, build_query(name, type, ++id, edns));
    EXPECT_TRUE(reply.has_value()) << "no reply for " << name;
    return reply ? parse_reply(*reply) : dns::Message{};
}

TEST(DnsServer, AnswersContainerNameWithAuthoritativeA) {
    BerthDns server;
    server.write_network("mynet", mynet());
    ASSERT_TRUE(server.wait_for("a", "10.88.0.2"));
    dns::Message m = ask(server, "A", dns::kTypeA);  // case-insensitive, case kept in reply
    EXPECT_EQ(m.rcode(), dns::kNoError);
    EXPECT_TRUE(m.flags & dns::kFlagAa);
    EXPECT_TRUE(m.flags & dns::kFlagQr);
    ASSERT_EQ(m.questions.size(), 1u);
    EXPECT_EQ(m.questions[0].name, "A.");
    ASSERT_EQ(m.answers.size(), 1u);
    EXPECT_EQ(m.answers[0].name, "A.");
    EXPECT_EQ(m.answers[0].ttl, netns::kDnsRecordTtl);
    EXPECT_EQ(a_addresses(m), std::vector<std::string>{"10.88.0.2"});
    // With the network's domain too.
    EXPECT_EQ(a_addresses(ask(server, "b.mynet", dns::kTypeA)),
              std::vector<std::string>{"10.88.0.3"});
}

TEST(DnsServer, AliasReturnsEveryAddressInRandomOrder) {
    BerthDns server;
    server.write_network("mynet", mynet());
    ASSERT_TRUE(server.wait_for("web", "10.88.0.2"));
    std::set<std::vector<std::string>> orders;
    for (int i = 0; i < 200; ++i) {
        auto addresses = a_addresses(ask(server, "web", dns::kTypeA));
        ASSERT_EQ(addresses.size(), 3u);
        orders.insert(addresses);
        std::sort(addresses.begin(), addresses.end());
        EXPECT_EQ(addresses, (std::vector<std::string>{"10.88.0.2", "10.88.0.3", "10.88.0.4"}));
    }
    // 3! = 6 orders; 200 uniform draws miss one with probability ~6 * (5/6)^200 = 1e-15.
    EXPECT_EQ(orders.size(), 6u);
}

TEST(DnsServer, PtrNamesTheContainer) {
    BerthDns server;
    server.write_network("mynet", mynet());
    ASSERT_TRUE(server.wait_for("a", "10.88.0.2"));
    dns::Message m = ask(server, "4.0.88.10.in-addr.arpa", dns::kTypePtr);
    EXPECT_EQ(m.rcode(), dns::kNoError);
    ASSERT_EQ(m.answers.size(), 1u);
    EXPECT_EQ(m.answers[0].type, dns::kTypePtr);
    EXPECT_EQ(m.answers[0].target, "c.mynet.");
}

TEST(DnsServer, UnknownNamesInTheZoneAreNxDomain) {
    BerthDns server;
    server.write_network("mynet", mynet());
    ASSERT_TRUE(server.wait_for("a", "10.88.0.2"));
    EXPECT_EQ(ask(server, "nosuch", dns::kTypeA).rcode(), dns::kNxDomain);
    EXPECT_EQ(ask(server, "nosuch.mynet", dns::kTypeA).rcode(), dns::kNxDomain);
    dns::Message m = ask(server, "x.y.mynet", dns::kTypeA, true);
    EXPECT_EQ(m.rcode(), dns::kNxDomain);
    EXPECT_TRUE(m.answers.empty());
    ASSERT_EQ(m.additional.size(), 1u);  // our OPT answers the client's
    EXPECT_EQ(m.additional[0].type, dns::kTypeOpt);
}

TEST(DnsServer, AaaaForAKnownNameIsEmptyNoError) {
    BerthDns server;
    server.write_network("mynet", mynet());
    ASSERT_TRUE(server.wait_for("a", "10.88.0.2"));
    dns::Message m = ask(server, "a", dns::kTypeAaaa);
    EXPECT_EQ(m.rcode(), dns::kNoError);
    EXPECT_TRUE(m.answers.empty());
    EXPECT_TRUE(m.flags & dns::kFlagAa);
}

TEST(DnsServer, TcpAnswersPipelinedQueries) {
    BerthDns server;
    server.write_network("mynet", mynet());
    ASSERT_TRUE(server.wait_for("a", "10.88.0.2"));
    auto replies = tcp_exchange(server.port, {build_query("web", dns::kTypeA, 11),
                                              build_query("cache.mynet", dns::kTypeA, 12),
                                              build_query("nosuch", dns::kTypeA, 13)});
    ASSERT_EQ(replies.size(), 3u);
    dns::Message web = parse_reply(replies[0]), cache = parse_reply(replies[1]),
                 nosuch = parse_reply(replies[2]);
    EXPECT_EQ(web.id, 11);
    EXPECT_EQ(a_addresses(web).size(), 3u);
    EXPECT_EQ(a_addresses(cache), std::vector<std::string>{"10.88.0.4"});
    EXPECT_EQ(nosuch.rcode(), dns::kNxDomain);
}

TEST(DnsServer, LargeAliasSetIsTruncatedOverUdpAndCompleteOverTcp) {
    BerthDns server;
    netns::DnsNetworkFile file = mynet();
    for (int i = 0; i < 100; ++i)
        file.records.push_back({std::string("n").append(std::to_string(i)),
                                {"many"},
                                std::string("10.88.1.").append(std::to_string(i + 1))});
    server.write_network("mynet", file);
    ASSERT_TRUE(server.wait_for("n0", "10.88.1.1"));
    dns::Message udp = ask(server, "many", dns::kTypeA);  // 512-byte classic limit
    EXPECT_TRUE(udp.flags & dns::kFlagTc);
    EXPECT_LT(udp.answers.size(), 100u);
    auto replies = tcp_exchange(server.port, {build_query("many", dns::kTypeA, 5)});
    ASSERT_EQ(replies.size(), 1u);
    dns::Message tcp = parse_reply(replies[0]);
    EXPECT_FALSE(tcp.flags & dns::kFlagTc);
    EXPECT_EQ(tcp.answers.size(), 100u);
}

TEST(DnsServer, DigResolvesNamesAsAUserWould) {
    BerthDns server;
    server.write_network("mynet", mynet());
    ASSERT_TRUE(server.wait_for("a", "10.88.0.2"));
    std::string port = std::to_string(server.port);
    Result a = run({"/usr/bin/dig", "@127.0.0.1", "-p", port, "+short", "+tries=1", "-q", "a"});
    EXPECT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(a.out, "10.88.0.2\n");
    Result web =
        run({"/usr/bin/dig", "@127.0.0.1", "-p", port, "+short", "+tcp", "-q", "web.mynet"});
    EXPECT_EQ(web.exit_code, 0) << web.err;
    EXPECT_EQ(std::count(web.out.begin(), web.out.end(), '\n'), 3) << web.out;
    Result ptr = run({"/usr/bin/dig", "@127.0.0.1", "-p", port, "+short", "-x", "10.88.0.3"});
    EXPECT_EQ(ptr.out, "b.mynet.\n");
    Result missing = run({"/usr/bin/dig", "@127.0.0.1", "-p", port, "-q", "nosuch"});
    EXPECT_NE(missing.out.find("status: NXDOMAIN"), std::string::npos) << missing.out;
}

TEST(DnsServer, NetworksAreSeparateZones) {
    BerthDns server;
    server.write_network("mynet", mynet());
    netns::DnsNetworkFile other;
    other.listen = {"127.0.0.2"};
    other.records = {{"z", {}, "10.99.0.2"}};
    server.write_network("other", other);
    ASSERT_TRUE(server.wait_for("a", "10.88.0.2"));
    std::optional<Bytes> reply;
    for (int i = 0; i < 300 && !reply; ++i) {  // until the second file's reload is in
        reply = udp_exchange(server.port, build_query("z", dns::kTypeA, 9), 50ms, "127.0.0.2");
        if (!reply) std::this_thread::sleep_for(10ms);
    }
    ASSERT_TRUE(reply);
    EXPECT_EQ(a_addresses(parse_reply(*reply)), std::vector<std::string>{"10.99.0.2"});
    reply = udp_exchange(server.port, build_query("a", dns::kTypeA, 10), 2000ms, "127.0.0.2");
    ASSERT_TRUE(reply);
    EXPECT_EQ(parse_reply(*reply).rcode(), dns::kNxDomain);  // mynet's names are not there
    EXPECT_EQ(ask(server, "z", dns::kTypeA).rcode(), dns::kNxDomain);
    // Removing the file closes that network's listener.
    server.remove_network("other");
    bool closed = false;
    for (int i = 0; i < 300 && !closed; ++i) {
        closed = !udp_exchange(server.port, build_query("z", dns::kTypeA, 11), 50ms, "127.0.0.2");
        if (!closed) std::this_thread::sleep_for(10ms);
    }
    EXPECT_TRUE(closed);
    EXPECT_TRUE(server.alive());
}

TEST(DnsServer, BrokenFileKeepsThePreviousVersion) {
    BerthDns server;
    server.write_network("mynet", mynet());
    ASSERT_TRUE(server.wait_for("a", "10.88.0.2"));
    berth::write_file_atomic(server.config_dir + "/mynet.json", "{\"listen\": [\"nope\"]", 0644);
    const std::string complaint = "mynet.json: not valid JSON (keeping its previous version)";
    for (int i = 0; i < 500 && server.log().find(complaint) == std::string::npos; ++i)
        std::this_thread::sleep_for(10ms);
    EXPECT_EQ(a_addresses(ask(server, "a", dns::kTypeA)), std::vector<std::string>{"10.88.0.2"});
    EXPECT_NE(server.log().find(complaint), std::string::npos) << server.log();
}

TEST(DnsServer, Sigusr1PrintsCounters) {
    BerthDns server;
    server.write_network("mynet", mynet());
    ASSERT_TRUE(server.wait_for("a", "10.88.0.2"));
    for (int i = 0; i < 5; ++i) ask(server, "a", dns::kTypeA);
    udp_exchange(server.port, Bytes(13, 0), 200ms);  // 13 zero bytes: qdcount 0 -> FORMERR
    ::kill(server.pid, SIGUSR1);
    std::string line;
    for (int i = 0; i < 300 && line.empty(); ++i) {
        std::string log = server.log();
        if (auto at = log.find("berth-dns: stats "); at != std::string::npos)
            line = log.substr(at, log.find('\n', at) - at);
        else
            std::this_thread::sleep_for(10ms);
    }
    ASSERT_FALSE(line.empty()) << server.log();
    // wait_for's queries count too: at least our 5 answered locally, exactly one FORMERR.
    unsigned long long local = 0, formerr = 0;
    ASSERT_EQ(std::sscanf(line.c_str(),
                          "berth-dns: stats queries=%*u local=%llu forwarded=%*u "
                          "servfail=%*u formerr=%llu",
                          &local, &formerr),
              2)
        << line;
    EXPECT_GE(local, 5u);
    EXPECT_EQ(formerr, 1u);
}

TEST(DnsServer, SecondInstanceWithTheSamePidFileIsRefused) {
    BerthDns server;
    Result second = run({BERTH_DNS_BINARY, "--config-dir", server.config_dir, "--port",
                         std::to_string(free_port()), "--pid-file", server.pid_file},
                        10);
    EXPECT_EQ(second.exit_code, 1);
    EXPECT_NE(second.err.find("already running as pid " + std::to_string(server.pid)),
              std::string::npos)
        << second.err;
}

}  // namespace
}  // namespace berth::test
