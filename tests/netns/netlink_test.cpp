// libnl-route and namespace owners against the real kernel (in the test's own namespace).
#include <gtest/gtest.h>

#include "berth/error.h"
#include "berth/netns/namespace.h"
#include "berth/netns/netlink.h"
#include "netns_test_support.h"

using namespace berth::netns;
using namespace berth::netns::test;

TEST(Netlink, BridgeAndVethIntoNamespace) {
    NetworksSandbox box;
    std::string bridge = box.unique("tbr");
    std::string host_end = box.unique("tv");
    std::string ns_path = box.dir() + "/ns-c1";
    Netlink host;
    host.create_bridge(bridge, 1400);
    OwnedLink bridge_owner(host, bridge);
    host.add_address(bridge, Ipv4::parse("10.77.0.1"), 24);
    {
        NetNamespace ns = NetNamespace::create(ns_path);
        EXPECT_TRUE(is_netns_mount(ns_path));
        host.create_veth(VethSpec{.host_name = host_end,
                                  .peer_name = "eth0",
                                  .peer_netns_fd = ns.fd(),
                                  .mtu = 1400,
                                  .peer_mac = "02:42:0a:4d:00:02",
                                  .master = bridge});
        OwnedLink veth(host, host_end);
        Netlink inside = Netlink::in_namespace(ns.fd());
        inside.add_address("eth0", Ipv4::parse("10.77.0.2"), 24);
        inside.set_up("eth0");
        inside.add_default_route(Ipv4::parse("10.77.0.1"), "eth0");

        auto link = sh(in_ns(ns_path) + "ip -o link show eth0");
        EXPECT_NE(link.out.find("mtu 1400"), std::string::npos) << link.out;
        EXPECT_NE(link.out.find("02:42:0a:4d:00:02"), std::string::npos) << link.out;
        EXPECT_NE(link.out.find("state UP"), std::string::npos) << link.out;
        auto master = sh("ip -o link show " + host_end);
        EXPECT_NE(master.out.find("master " + bridge), std::string::npos) << master.out;
        auto lo = sh(in_ns(ns_path) + "ip -o link show lo");
        EXPECT_NE(lo.out.find("UP"), std::string::npos) << lo.out;
        auto routes = sh(in_ns(ns_path) + "ip route");
        EXPECT_NE(routes.out.find("default via 10.77.0.1 dev eth0"), std::string::npos)
            << routes.out;
        auto ping = sh_until_ok(in_ns(ns_path) + "ping -c 1 -W 1 10.77.0.1");
        EXPECT_EQ(ping.status, 0) << ping.out;
        EXPECT_TRUE(host.delete_link(host_end));
        EXPECT_FALSE(host.delete_link(host_end));
        EXPECT_FALSE(inside.link_exists("eth0"));  // the peer went with it
    }
    EXPECT_FALSE(is_netns_mount(ns_path));  // the owner unmounted and removed it
    EXPECT_NE(sh("test -e " + ns_path).status, 0);
}

TEST(Netlink, RouteDestinationsSeeConnectedRoutes) {
    NetworksSandbox box;
    std::string dummy = box.unique("tdum");
    ASSERT_EQ(sh("ip link add " + dummy + " type bridge && ip addr add 10.123.4.1/22 dev " + dummy +
                 " && ip link set " + dummy + " up")
                  .status,
              0);
    Netlink host;
    OwnedLink owner(host, dummy);
    bool seen = false;
    for (const auto& p : host.route_destinations()) seen = seen || p.str() == "10.123.4.0/22";
    EXPECT_TRUE(seen);
}

TEST(Netlink, ErrorsNameTheObject) {
    Netlink host;
    try {
        host.add_address("no-such-link0", Ipv4::parse("10.1.1.1"), 24);
        FAIL() << "no error";
    } catch (const berth::Error& e) {
        EXPECT_NE(std::string(e.what()).find("no-such-link0"), std::string::npos) << e.what();
    }
    try {
        host.set_up("no-such-link0");
        FAIL() << "no error";
    } catch (const berth::Error& e) {
        EXPECT_NE(std::string(e.what()).find("no-such-link0"), std::string::npos) << e.what();
    }
}
