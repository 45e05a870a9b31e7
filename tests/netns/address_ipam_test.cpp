// Pure logic: address parsing, pools, allocation. No kernel state.
#include <gtest/gtest.h>

#include "berth/error.h"
#include "berth/netns/address.h"
#include "berth/netns/ipam.h"
#include "berth/netns/network.h"

using namespace berth::netns;

TEST(Address, ParsesAndFormats) {
    EXPECT_EQ(Ipv4::parse("172.18.0.2").str(), "172.18.0.2");
    EXPECT_THROW(Ipv4::parse("172.18.0"), berth::Error);
    EXPECT_THROW(Ipv4::parse("300.1.1.1"), berth::Error);
    Prefix p = Prefix::parse("10.1.0.0/16");
    EXPECT_EQ(p.str(), "10.1.0.0/16");
    EXPECT_TRUE(p.contains(Ipv4::parse("10.1.255.255")));
    EXPECT_FALSE(p.contains(Ipv4::parse("10.2.0.0")));
    EXPECT_EQ(p.last().str(), "10.1.255.255");
    EXPECT_THROW(Prefix::parse("10.1.0.1/16"), berth::Error);  // host bits
    EXPECT_THROW(Prefix::parse("10.1.0.0/33"), berth::Error);
    EXPECT_THROW(Prefix::parse("10.1.0.0"), berth::Error);
    EXPECT_TRUE(Prefix::parse("10.0.0.0/8").overlaps(Prefix::parse("10.5.0.0/16")));
    EXPECT_TRUE(Prefix::parse("10.5.0.0/16").overlaps(Prefix::parse("10.0.0.0/8")));
    EXPECT_FALSE(Prefix::parse("10.5.0.0/16").overlaps(Prefix::parse("10.6.0.0/16")));
}

TEST(Address, PortMappings) {
    PortMapping p = PortMapping::parse("127.0.0.1:18080:80");
    EXPECT_EQ(p.host_ip.str(), "127.0.0.1");
    EXPECT_EQ(p.host_port, 18080);
    EXPECT_EQ(p.container_port, 80);
    EXPECT_EQ(p.protocol, "tcp");
    p = PortMapping::parse("53:5353/udp");
    EXPECT_EQ(p.host_ip.value, 0u);
    EXPECT_EQ(p.protocol, "udp");
    EXPECT_EQ(p.str(), "53:5353/udp");
    for (const char* bad : {"80", "0:80", "1:70000", "x:80", "1.2.3:1:2", "80:80/sctp", "a:b:c:d"})
        EXPECT_THROW(PortMapping::parse(bad), berth::Error) << bad;
}

TEST(Ipam, DefaultPoolLikeDocker) {
    auto pool = default_address_pool();
    EXPECT_EQ(pick_subnet(pool, {}).str(), "172.17.0.0/16");
    // A host route inside 172.17/16 and a network on 172.18/16 push the choice on.
    EXPECT_EQ(
        pick_subnet(pool, {Prefix::parse("172.17.5.0/24"), Prefix::parse("172.18.0.0/16")}).str(),
        "172.19.0.0/16");
    // All of 172.16/12 taken: the /20s of 192.168/16.
    EXPECT_EQ(pick_subnet(pool, {Prefix::parse("172.16.0.0/12")}).str(), "192.168.0.0/20");
    EXPECT_EQ(
        pick_subnet(pool, {Prefix::parse("172.16.0.0/12"), Prefix::parse("192.168.0.0/20")}).str(),
        "192.168.16.0/20");
    EXPECT_THROW(
        pick_subnet(pool, {Prefix::parse("172.16.0.0/12"), Prefix::parse("192.168.0.0/16")}),
        berth::Error);
}

TEST(Ipam, ConfigurablePool) {
    auto pool = parse_address_pool("10.99.0.0/16:24,10.98.0.0/16:20");
    ASSERT_EQ(pool.size(), 2u);
    EXPECT_EQ(pick_subnet(pool, {Prefix::parse("10.99.0.0/24")}).str(), "10.99.1.0/24");
    EXPECT_THROW(parse_address_pool("10.99.0.0/16"), berth::Error);
    EXPECT_THROW(parse_address_pool("10.99.0.0/16:8"), berth::Error);
}

TEST(Ipam, AllocatesAfterTheCursorWrappingAroundSkippingReserved) {
    Network net;
    net.name = "n";
    net.subnet = Prefix::parse("10.5.0.0/29");  // .1-.6 usable, .1 the gateway
    net.gateway = Ipv4::parse("10.5.0.1");
    std::vector<std::string> got;
    for (int i = 0; i < 5; ++i) {
        Ipv4 ip = allocate_address(net);
        net.ip_cursor = ip;
        got.push_back(ip.str());
        Endpoint ep;
        ep.ip = ip;
        std::string id = "c";
        id += std::to_string(i);  // (GCC 12 warns falsely about "c" + to_string())
        net.endpoints[id] = ep;
    }
    EXPECT_EQ(got, (std::vector<std::string>{"10.5.0.2", "10.5.0.3", "10.5.0.4", "10.5.0.5",
                                             "10.5.0.6"}));
    EXPECT_THROW(allocate_address(net), berth::Error);  // .7 is the broadcast address
    net.endpoints.erase("c3");
    net.endpoints.erase("c1");
    EXPECT_EQ(allocate_address(net).str(), "10.5.0.3");  // wrapped around past .7 and .0
    net.ip_cursor = Ipv4::parse("10.5.0.3");
    EXPECT_EQ(allocate_address(net).str(), "10.5.0.5");  // a freed address waits its turn
    Endpoint back;
    back.ip = Ipv4::parse("10.5.0.3");
    net.endpoints["c1"] = back;
    EXPECT_THROW(check_requested_address(net, Ipv4::parse("10.5.0.2")), berth::Error);  // in use
    EXPECT_THROW(check_requested_address(net, Ipv4::parse("10.5.0.1")), berth::Error);  // gateway
    EXPECT_THROW(check_requested_address(net, Ipv4::parse("10.6.0.3")), berth::Error);  // outside
    EXPECT_NO_THROW(check_requested_address(net, Ipv4::parse("10.5.0.5")));  // free (c3 went)
}

TEST(Ipam, IpRangeLimitsAllocation) {
    Network net;
    net.subnet = Prefix::parse("10.5.0.0/24");
    net.gateway = Ipv4::parse("10.5.0.1");
    net.ip_range = Prefix::parse("10.5.0.128/30");
    EXPECT_EQ(allocate_address(net).str(), "10.5.0.128");
}
