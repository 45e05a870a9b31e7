// The networks API end to end against the real kernel, inside the test's own namespaces:
// containers are bare network namespaces here (the engine adds the processes).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "berth/error.h"
#include "berth/netns/firewall.h"
#include "berth/netns/namespace.h"
#include "berth/netns/netlink.h"
#include "netns_test_support.h"

using namespace berth::netns;
using namespace berth::netns::test;

namespace {

Attachment attach(Networks& networks, const std::string& id, const std::string& net,
                  std::vector<PortMapping> ports = {}) {
    AttachRequest request;
    request.container_id = id;
    request.container_name = id;
    request.network = net;
    request.ports = std::move(ports);
    return networks.attach(request);
}

std::string nft_table(const std::string& table) {
    return sh("nft list table ip " + table).out;
}

}  // namespace

TEST(Networks, CreateInspectRemove) {
    NetworksSandbox box;
    CreateRequest request;
    request.name = "mynet";
    request.labels = {{"team", "net"}};
    request.options = {{"mtu", "1450"}};
    Network net = box.networks().create(request);
    EXPECT_EQ(net.subnet.str(), "172.17.0.0/16");  // the test's namespace has no routes
    EXPECT_EQ(net.gateway.str(), "172.17.0.1");
    auto addr = sh("ip -o addr show dev " + net.bridge);
    EXPECT_NE(addr.out.find("inet 172.17.0.1/16"), std::string::npos) << addr.out;
    auto link = sh("ip -o link show " + net.bridge).out;
    EXPECT_NE(link.find("mtu 1450"), std::string::npos) << link;
    EXPECT_NE(link.find("link/ether 02:42:ac:11:00:01"), std::string::npos) << link;
    EXPECT_EQ(sh("cat /proc/sys/net/ipv4/ip_forward").out, "1\n");

    nlohmann::json view = inspect_view(box.networks().get("mynet"));
    EXPECT_EQ(view["Name"], "mynet");
    EXPECT_EQ(view["Id"], net.id);
    EXPECT_EQ(view["Driver"], "bridge");
    EXPECT_EQ(view["Scope"], "local");
    EXPECT_EQ(view["IPAM"]["Config"][0]["Subnet"], "172.17.0.0/16");
    EXPECT_EQ(view["IPAM"]["Config"][0]["Gateway"], "172.17.0.1");
    EXPECT_EQ(view["Labels"]["team"], "net");
    EXPECT_EQ(view["Options"]["com.docker.network.driver.mtu"], "1450");
    EXPECT_EQ(view["Internal"], false);
    EXPECT_TRUE(view["Containers"].empty());

    std::string rules = nft_table(box.config().table);
    EXPECT_NE(rules.find("ip saddr 172.17.0.0/16 oifname != \"" + net.bridge + "\" masquerade"),
              std::string::npos)
        << rules;

    EXPECT_THROW(box.networks().create(request), berth::Error);  // same name
    CreateRequest overlapping;
    overlapping.name = "other";
    overlapping.subnet = "172.17.5.0/24";
    EXPECT_THROW(box.networks().create(overlapping), berth::Error);
    CreateRequest bad;
    bad.name = "bad/name";
    EXPECT_THROW(box.networks().create(bad), berth::Error);

    box.networks().remove("mynet");
    EXPECT_FALSE(Netlink().link_exists(net.bridge));
    EXPECT_NE(sh("nft list table ip " + box.config().table).status, 0);  // gone with the last
    EXPECT_THROW(box.networks().get("mynet"), berth::Error);
}

TEST(Networks, SubnetsAvoidHostRoutesAndOtherNetworks) {
    NetworksSandbox box;
    std::string dummy = box.unique("tdum");
    ASSERT_EQ(sh("ip link add " + dummy + " type bridge && ip addr add 172.17.3.1/24 dev " + dummy +
                 " && ip link set " + dummy + " up")
                  .status,
              0);
    Netlink host;
    OwnedLink owner(host, dummy);
    CreateRequest a;
    a.name = "a";
    EXPECT_EQ(box.networks().create(a).subnet.str(), "172.18.0.0/16");
    CreateRequest b;
    b.name = "b";
    EXPECT_EQ(box.networks().create(b).subnet.str(), "172.19.0.0/16");
    CreateRequest c;
    c.name = "c";
    c.subnet = "10.200.0.0/24";
    c.gateway = "10.200.0.254";
    c.ip_range = "10.200.0.64/26";
    Network net = box.networks().create(c);
    EXPECT_EQ(net.gateway.str(), "10.200.0.254");
    EXPECT_EQ(attach(box.networks(), "c1", "c").endpoint.ip.str(), "10.200.0.64");
    CreateRequest bad_range = c;
    bad_range.name = "d";
    bad_range.subnet = "10.201.0.0/24";
    bad_range.ip_range = "10.202.0.0/26";
    EXPECT_THROW(box.networks().create(bad_range), berth::Error);
}

// Two stores (as two tests with their own --root, each making its default network) pick from
// the same pool at the same moment: they see each other only through the host's routes, so
// without the host-wide lock both would take the first free subnet.
TEST(Networks, TwoStoresCreatingAtOnceGetDifferentSubnets) {
    for (int round = 0; round < 5; ++round) {
        NetworksSandbox one, two;
        Network a, b;
        std::thread first([&] {
            CreateRequest r;
            r.name = "x";
            a = one.networks().create(r);
        });
        CreateRequest r;
        r.name = "x";
        b = two.networks().create(r);
        first.join();
        EXPECT_FALSE(a.subnet.overlaps(b.subnet)) << a.subnet.str() << " and " << b.subnet.str();
    }
}

TEST(Networks, AttachPingDetachReleasesOnce) {
    NetworksSandbox box;
    CreateRequest request;
    request.name = "n";
    request.subnet = "10.210.0.0/24";
    Network net = box.networks().create(request);
    Attachment a = attach(box.networks(), "ca", "n");
    Attachment b = attach(box.networks(), "cb", "n");
    EXPECT_EQ(a.endpoint.ip.str(), "10.210.0.2");
    EXPECT_EQ(b.endpoint.ip.str(), "10.210.0.3");
    EXPECT_EQ(a.endpoint.ifname, "eth0");
    EXPECT_EQ(a.endpoint.mac, "02:42:0a:d2:00:02");
    auto ping = sh_until_ok(in_ns(a.endpoint.netns_path) + "ping -c 1 -W 1 10.210.0.3");
    EXPECT_EQ(ping.status, 0) << ping.out;
    nlohmann::json view = inspect_view(box.networks().get("n"));
    EXPECT_EQ(view["Containers"]["ca"]["IPv4Address"], "10.210.0.2/24");
    EXPECT_EQ(view["Containers"]["ca"]["MacAddress"], "02:42:0a:d2:00:02");

    EXPECT_THROW(attach(box.networks(), "ca", "n"), berth::Error);  // already connected
    EXPECT_TRUE(box.networks().detach("ca", "n"));
    EXPECT_FALSE(Netlink().link_exists(a.endpoint.host_veth));
    // New containers get the next addresses; ca's is not handed out again until the range
    // wrapped, but it is free: asking for it works...
    EXPECT_EQ(attach(box.networks(), "cx", "n").endpoint.ip.str(), "10.210.0.4");
    AttachRequest want_a;
    want_a.container_id = want_a.container_name = "cc";
    want_a.network = "n";
    want_a.ip = a.endpoint.ip;
    EXPECT_EQ(box.networks().attach(want_a).endpoint.ip.str(), "10.210.0.2");
    // ...and a second release of ca frees nothing: cc keeps it.
    EXPECT_FALSE(box.networks().detach("ca", "n"));
    want_a.container_id = want_a.container_name = "cd";
    EXPECT_THROW(box.networks().attach(want_a), berth::Error);
    EXPECT_EQ(box.networks().get("n").endpoint_of("cc")->ip.str(), "10.210.0.2");
    EXPECT_THROW(box.networks().remove("n"), berth::Error);  // active endpoints

    box.networks().release_container("cb");
    EXPECT_FALSE(is_netns_mount(b.endpoint.netns_path));
    // The kernel destroys the namespace and its veth pair in the background.
    EXPECT_EQ(sh_until_ok("! ip link show " + b.endpoint.host_veth).status, 0);
    EXPECT_EQ(box.networks().get("n").endpoints.count("cb"), 0u);
}

TEST(Networks, ReclaimsAddressLeakedByACrash) {
    NetworksSandbox box;
    CreateRequest request;
    request.name = "n";
    request.subnet = "10.211.0.0/24";
    box.networks().create(request);
    Attachment a = attach(box.networks(), "ca", "n");
    // A crash: the namespace is gone, the record still holds the address.
    ASSERT_TRUE(remove_netns_mount(a.endpoint.netns_path));
    AttachRequest want_a;
    want_a.container_id = want_a.container_name = "cb";
    want_a.network = "n";
    want_a.ip = a.endpoint.ip;  // in use by the record until the reclaim at this attach
    Attachment b = box.networks().attach(want_a);
    EXPECT_EQ(b.endpoint.ip.str(), a.endpoint.ip.str());
    Network net = box.networks().get("n");
    EXPECT_EQ(net.endpoints.count("ca"), 0u);
    EXPECT_FALSE(Netlink().link_exists(a.endpoint.host_veth));
}

TEST(Networks, IsolatedUntilConnected) {
    NetworksSandbox box;
    CreateRequest n1;
    n1.name = "n1";
    n1.subnet = "10.212.0.0/24";
    CreateRequest n2;
    n2.name = "n2";
    n2.subnet = "10.213.0.0/24";
    box.networks().create(n1);
    box.networks().create(n2);
    Attachment a = attach(box.networks(), "ca", "n1");
    Attachment c = attach(box.networks(), "cc", "n2");
    std::string ping_a = in_ns(c.endpoint.netns_path) + "ping -c 1 -W 1 " + a.endpoint.ip.str();
    // Routed through the host (c's default route) but dropped by the isolation rules.
    EXPECT_EQ(sh(in_ns(c.endpoint.netns_path) + "ping -c 1 -W 1 10.213.0.1").status, 0);
    EXPECT_NE(sh(ping_a).status, 0);
    Attachment c_on_n1 = attach(box.networks(), "cc", "n1");
    EXPECT_EQ(c_on_n1.endpoint.ifname, "eth1");
    auto ping = sh_until_ok(ping_a);
    EXPECT_EQ(ping.status, 0) << ping.out;
    auto both = box.networks().attachments_of("cc");
    ASSERT_EQ(both.size(), 2u);
    EXPECT_EQ(both[0].network_name, "n2");
    EXPECT_EQ(box.networks().hosts("cc", "cc"),
              "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
                  both[0].endpoint.ip.str() + "\tcc\n" + both[1].endpoint.ip.str() + "\tcc\n");
    EXPECT_EQ(box.networks().resolv_conf("cc"), "nameserver 10.213.0.1\noptions ndots:0\n");
}
