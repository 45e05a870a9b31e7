// 200 endpoints on one network: every name resolves and every address answers ping from one of
// them; then all are released and nothing is left (links, addresses, nft rules, mounts).
#include <gtest/gtest.h>

#include <chrono>

#include "berth/file_io.h"
#include "berth/netns/namespace.h"
#include "berth/netns/netlink.h"
#include "netns_test_support.h"

using namespace berth::netns;
using namespace berth::netns::test;

TEST(Scale, TwoHundredEndpointsResolvablePingableThenNothingLeft) {
    NetworksSandbox box(BERTH_DNS_BINARY);
    const int count = 200;
    CreateRequest request;
    request.name = "big";
    request.subnet = "10.240.0.0/22";
    Network net = box.networks().create(request);
    auto start = std::chrono::steady_clock::now();
    std::vector<Attachment> all;
    for (int i = 0; i < count; ++i) {
        AttachRequest attach;
        attach.container_id = "id" + std::to_string(i);
        attach.container_name = "c" + std::to_string(i);
        attach.network = "big";
        if (i == 7) attach.ports = {PortMapping::parse("127.0.0.1:18090:80")};
        all.push_back(box.networks().attach(attach));
    }
    auto attached = std::chrono::steady_clock::now();
    std::fprintf(stderr, "attached %d endpoints in %.0f ms\n", count,
                 std::chrono::duration<double, std::milli>(attached - start).count());

    const Attachment& probe = all.front();
    std::string names;
    for (int i = 0; i < count; ++i) names += " -q c" + std::to_string(i);
    auto answers = sh(in_ns(probe.endpoint.netns_path) + "dig +short +time=2 +tries=2 @" +
                      probe.gateway.str() + names);
    std::string expected;
    for (const auto& a : all) expected += a.endpoint.ip.str() + "\n";
    EXPECT_EQ(answers.out, expected);

    // One ping per address; fping is not there, so a shell loop in the probe's namespace.
    std::string loop = "for ip in";
    for (const auto& a : all) loop += " " + a.endpoint.ip.str();
    loop += "; do ping -c 1 -W 1 -q $ip >/dev/null || echo unreachable $ip; done";
    auto pings = sh(in_ns(probe.endpoint.netns_path) + "sh -c '" + loop + "'");
    EXPECT_EQ(pings.out, "");

    for (const auto& a : all) box.networks().release_container(a.endpoint.container_id);
    std::fprintf(
        stderr, "released %d endpoints in %.0f ms\n", count,
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - attached)
            .count());
    EXPECT_TRUE(box.networks().get("big").endpoints.empty());
    // The kernel destroys the released namespaces and their veth pairs in the background.
    EXPECT_EQ(sh_until_ok("test -z \"$(ip -o link show master " + net.bridge + ")\"", 200).status,
              0);
    EXPECT_EQ(sh("ip -o link | grep -c veth").out, "0\n");
    EXPECT_EQ(sh("ls " + box.config().netns_dir).out, "");
    // ...and with the last namespace the directory's own bind mount went too.
    EXPECT_EQ(sh("grep -c " + box.config().netns_dir + " /proc/self/mountinfo").out, "0\n");
    std::string rules = sh("nft list table ip " + box.config().table).out;
    EXPECT_EQ(rules.find("dnat"), std::string::npos) << rules;
    EXPECT_FALSE(berth::path_exists(box.config().dns_pid_file));  // daemon stopped
    box.networks().remove("big");
    EXPECT_NE(sh("nft list table ip " + box.config().table).status, 0);
    EXPECT_FALSE(Netlink().link_exists(net.bridge));
}
