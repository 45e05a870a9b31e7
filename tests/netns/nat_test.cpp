// Outbound masquerade, published ports and internal networks, shown with traffic between
// namespaces the test made: an "outside" namespace plays the rest of the world.
#include <gtest/gtest.h>

#include <fstream>

#include "berth/netns/namespace.h"
#include "berth/netns/netlink.h"
#include "netns_test_support.h"

using namespace berth::netns;
using namespace berth::netns::test;

namespace {

// 198.18.0.0/24 (benchmarking range) between the test's host namespace and "outside".
struct Outside {
    explicit Outside(NetworksSandbox& box)
        : ns(NetNamespace::create(box.dir() + "/outside")),
          veth_name(box.unique("tout")),
          veth(host, veth_name) {
        host.create_veth(
            VethSpec{.host_name = veth_name, .peer_name = "eth0", .peer_netns_fd = ns.fd()});
        host.add_address(veth_name, Ipv4::parse("198.18.0.1"), 24);
        Netlink inside = Netlink::in_namespace(ns.fd());
        inside.add_address("eth0", Ipv4::parse("198.18.0.2"), 24);
        inside.set_up("eth0");
        // A CGI that answers with the address the connection came from.
        std::string www = box.dir() + "/outside-www";
        sh("mkdir -p " + www + "/cgi-bin");
        std::ofstream(www + "/cgi-bin/peer")
            << "#!/bin/sh\necho 'Content-Type: text/plain'\necho\necho \"$REMOTE_ADDR\"\n";
        sh("chmod 755 " + www + "/cgi-bin/peer");
        server = std::make_unique<Background>(in_ns(ns.path()) +
                                              "busybox httpd -f -p 198.18.0.2:8080 -h " + www);
    }
    Netlink host;
    NetNamespace ns;
    std::string veth_name;
    OwnedLink veth;
    std::unique_ptr<Background> server;
};

Attachment attach(Networks& networks, const std::string& id, const std::string& net,
                  std::vector<PortMapping> ports = {}) {
    AttachRequest request;
    request.container_id = id;
    request.container_name = id;
    request.network = net;
    request.ports = std::move(ports);
    return networks.attach(request);
}

}  // namespace

TEST(Nat, OutboundIsMasqueradedInternalHasNoWayOut) {
    NetworksSandbox box;
    Outside outside(box);
    CreateRequest open;
    open.name = "open";
    open.subnet = "10.220.0.0/24";
    CreateRequest sealed;
    sealed.name = "sealed";
    sealed.subnet = "10.221.0.0/24";
    sealed.internal = true;
    box.networks().create(open);
    box.networks().create(sealed);
    Attachment c = attach(box.networks(), "c", "open");
    Attachment i = attach(box.networks(), "i", "sealed");

    std::string fetch = "curl -s -m 2 http://198.18.0.2:8080/cgi-bin/peer";
    auto got = sh_until_ok(in_ns(c.endpoint.netns_path) + fetch);
    ASSERT_EQ(got.status, 0) << got.out;
    EXPECT_EQ(got.out, "198.18.0.1\n");  // not 10.220.0.2: masqueraded on the way out

    EXPECT_EQ(sh(in_ns(i.endpoint.netns_path) + "ip route").out,
              "10.221.0.0/24 dev eth0 proto kernel scope link src 10.221.0.2 \n");
    EXPECT_NE(sh(in_ns(i.endpoint.netns_path) + fetch).status, 0);
    // Even with a route added by hand inside, the forward rules keep it in.
    ASSERT_EQ(sh(in_ns(i.endpoint.netns_path) + "ip route add default via 10.221.0.1").status, 0);
    EXPECT_NE(sh(in_ns(i.endpoint.netns_path) + fetch).status, 0);
}

TEST(Nat, PublishedPortsFromLoopbackAndOutside) {
    NetworksSandbox box;
    Outside outside(box);
    CreateRequest open;
    open.name = "web";
    open.subnet = "10.222.0.0/24";
    box.networks().create(open);
    Attachment c =
        attach(box.networks(), "c", "web",
               {PortMapping::parse("127.0.0.1:18080:80"), PortMapping::parse("28080:80")});
    std::string www = box.dir() + "/c-www";
    sh("mkdir -p " + www + " && echo hello-from-c > " + www + "/index.html");
    Background server(in_ns(c.endpoint.netns_path) + "busybox httpd -f -p 80 -h " + www);

    auto local = sh_until_ok("curl -s -m 2 http://127.0.0.1:18080/");
    EXPECT_EQ(local.status, 0) << local.out;
    EXPECT_EQ(local.out, "hello-from-c\n");
    auto remote = sh_until_ok(in_ns(outside.ns.path()) + "curl -s -m 2 http://198.18.0.1:28080/");
    EXPECT_EQ(remote.out, "hello-from-c\n");
    // 18080 is bound to 127.0.0.1 only.
    EXPECT_NE(sh(in_ns(outside.ns.path()) + "curl -s -m 1 http://198.18.0.1:18080/").status, 0);

    std::string rules = sh("nft list table ip " + box.config().table).out;
    EXPECT_NE(rules.find("dnat to 10.222.0.2:80"), std::string::npos) << rules;
    box.networks().detach("c", "web");
    rules = sh("nft list table ip " + box.config().table).out;
    EXPECT_EQ(rules.find("dnat to"), std::string::npos) << rules;
    EXPECT_NE(sh("curl -s -m 1 http://127.0.0.1:18080/").status, 0);
}
