// Answers that depend on who asks: a container on several networks resolves the names of all
// of them, and a container with --dns servers has its other names forwarded there. The
// "containers" are loopback addresses of the test's own that the queries are sent from.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "dns_test_support.h"

namespace berth::test {
namespace {

namespace dns = netns::dns;

netns::DnsRecord record(const std::string& name, const std::string& ipv4,
                        const std::string& container, std::vector<std::string> upstreams = {}) {
    netns::DnsRecord r;
    r.name = name;
    r.ipv4 = ipv4;
    r.container = container;
    r.upstreams = std::move(upstreams);
    return r;
}

// The reply to `name` from `source` sent to `listen`, retried while a reload is on its way.
dns::Message ask_from(const BerthDns& server, const std::string& listen, const std::string& source,
                      const std::string& name, std::chrono::milliseconds timeout = 100ms) {
    static std::uint16_t id = 100;
    std::optional<Bytes> reply;
    for (int i = 0; i < 200 && !reply; ++i) {
        reply = udp_exchange(server.port, build_query(name, dns::kTypeA, ++id), timeout, listen,
                             source);
        if (!reply) std::this_thread::sleep_for(10ms);
    }
    if (!reply) {
        ADD_FAILURE() << "no answer for " << name << " from " << source << " at " << listen;
        return {};
    }
    return parse_reply(*reply);
}

// Polls until the query from `source` gets `ipv4` (or NXDOMAIN when empty): reloads are async.
bool wait_answer(const BerthDns& server, const std::string& listen, const std::string& source,
                 const std::string& name, const std::string& ipv4) {
    for (int i = 0; i < 500; ++i) {
        dns::Message m = ask_from(server, listen, source, name);
        auto got = a_addresses(m);
        if (ipv4.empty() ? m.rcode() == dns::kNxDomain
                         : std::find(got.begin(), got.end(), ipv4) != got.end())
            return true;
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

TEST(DnsClients, ContainerOnTwoNetworksResolvesTheNamesOfBoth) {
    BerthDns server;
    const std::string gw1 = random_loopback_address(), gw2 = random_loopback_address();
    const std::string x_on_1 = random_loopback_address(), x_on_2 = random_loopback_address();
    const std::string only_on_1 = random_loopback_address();
    netns::DnsNetworkFile net1, net2;
    net1.listen = {gw1};
    net1.records = {record("x", x_on_1, "cx"), record("a", only_on_1, "ca")};
    net2.listen = {gw2};
    net2.records = {record("x", x_on_2, "cx"), record("b", "10.99.0.3", "cb")};
    server.write_network("net1", net1);
    server.write_network("net2", net2);
    ASSERT_TRUE(wait_answer(server, gw1, x_on_1, "b", "10.99.0.3"));

    // x asks its first network's server (its resolv.conf) for a name on its second network.
    EXPECT_EQ(a_addresses(ask_from(server, gw1, x_on_1, "b")),
              std::vector<std::string>{"10.99.0.3"});
    // ...and the second network's server for a name on the first.
    EXPECT_EQ(a_addresses(ask_from(server, gw2, x_on_2, "a")), std::vector<std::string>{only_on_1});
    // Its own name on both networks: both addresses.
    auto own = a_addresses(ask_from(server, gw1, x_on_1, "x"));
    std::sort(own.begin(), own.end());
    std::vector<std::string> both = {x_on_1, x_on_2};
    std::sort(both.begin(), both.end());
    EXPECT_EQ(own, both);
    // Over TCP too.
    auto replies =
        tcp_exchange(server.port, {build_query("b", dns::kTypeA, 7)}, 2000ms, gw1, x_on_1);
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(a_addresses(parse_reply(replies[0])), std::vector<std::string>{"10.99.0.3"});

    // a is only on net1: net2's names stay hidden from it, as from any other client.
    EXPECT_EQ(ask_from(server, gw1, only_on_1, "b").rcode(), dns::kNxDomain);
    EXPECT_EQ(ask_from(server, gw1, "127.0.0.1", "b").rcode(), dns::kNxDomain);

    // Disconnecting x from net2 (its record goes) takes net2's names away from it.
    net2.records = {record("b", "10.99.0.3", "cb")};
    server.write_network("net2", net2);
    EXPECT_TRUE(wait_answer(server, gw1, x_on_1, "b", ""));
    EXPECT_TRUE(server.alive());
}

TEST(DnsClients, DnsServersOfAContainerGetItsOtherNames) {
    SilentUpstream network_upstream;  // the network's forwarder never answers
    Dnsmasq container_upstream;       // the container's --dns answers up.test
    BerthDns server({}, std::chrono::milliseconds(400));
    const std::string gw = random_loopback_address();
    const std::string with_dns = random_loopback_address(), plain = random_loopback_address();
    netns::DnsNetworkFile net;
    net.listen = {gw};
    net.upstreams = {"127.0.0.1:" + std::to_string(network_upstream.port)};
    net.records = {
        record("d", with_dns, "cd", {"127.0.0.1:" + std::to_string(container_upstream.port)}),
        record("p", plain, "cp")};
    server.write_network("net", net);
    ASSERT_TRUE(wait_answer(server, gw, with_dns, "p", plain));

    dns::Message forwarded = ask_from(server, gw, with_dns, "www.up.test");
    EXPECT_EQ(forwarded.rcode(), dns::kNoError);
    EXPECT_EQ(a_addresses(forwarded), std::vector<std::string>{"127.0.0.9"});
    // Container names keep working for it (Docker's --dns on a user-defined network).
    EXPECT_EQ(a_addresses(ask_from(server, gw, with_dns, "p")), std::vector<std::string>{plain});
    // Everyone else still goes to the network's forwarder, which stays silent.
    std::size_t before = network_upstream.received();
    // (SERVFAIL once the 400 ms budget is spent.)
    EXPECT_EQ(ask_from(server, gw, plain, "www.up.test", 2000ms).rcode(), dns::kServFail);
    EXPECT_GT(network_upstream.received(), before);
}

TEST(DnsClients, RecordFieldsAreValidated) {
    const std::string ok = R"({"listen":["10.1.0.1"],"records":[{"name":"a","ipv4":"10.1.0.2",
        "container":"c1","upstreams":["10.0.0.53","10.0.0.54:5353"]}]})";
    netns::DnsNetworkFile file = netns::parse_dns_network_file(ok, "n.json");
    ASSERT_EQ(file.records.size(), 1u);
    EXPECT_EQ(file.records[0].container, "c1");
    EXPECT_EQ(file.records[0].upstreams, (std::vector<std::string>{"10.0.0.53", "10.0.0.54:5353"}));
    // What is written is read back the same.
    netns::DnsNetworkFile again =
        netns::parse_dns_network_file(netns::render_dns_network_file(file), "n.json");
    EXPECT_EQ(again.records[0].container, "c1");
    EXPECT_EQ(again.records[0].upstreams, file.records[0].upstreams);

    auto error_of = [](const std::string& text) {
        try {
            netns::parse_dns_network_file(text, "n.json");
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_EQ(error_of(R"({"listen":["10.1.0.1"],"records":[{"name":"a","ipv4":"10.1.0.2",
        "upstreams":["dns.example"]}]})"),
              "dns records n.json: records[0].upstreams[0]: not IPv4 or IPv4:PORT: "
              "'dns.example'");
    EXPECT_EQ(error_of(R"({"listen":["10.1.0.1"],"records":[{"name":"a","ipv4":"10.1.0.2",
        "container":7}]})"),
              "dns records n.json: records[0].container: must be a string");
}

}  // namespace
}  // namespace berth::test
