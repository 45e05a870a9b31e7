// berth-dns driven by the networks API: started with the first container, records following
// containers as they come and go, stopped when no network has one. Queries go from a
// container namespace to its gateway, all inside the test's own namespaces.
#include <gtest/gtest.h>
#include <signal.h>

#include "berth/file_io.h"
#include "netns_test_support.h"

using namespace berth::netns;
using namespace berth::netns::test;

namespace {

Attachment attach(Networks& networks, const std::string& id, const std::string& net,
                  std::vector<std::string> aliases = {}) {
    AttachRequest request;
    request.container_id = id + "-id";
    request.container_name = id;
    request.network = net;
    request.aliases = std::move(aliases);
    return networks.attach(request);
}

std::string dig(const Attachment& from, const std::string& name, const std::string& type = "A") {
    return sh(in_ns(from.endpoint.netns_path) + "dig +short +time=1 +tries=1 @" +
              from.gateway.str() + " -q " + name + " -t " + type)
        .out;
}

}  // namespace

TEST(Dns, RecordsFollowContainersDaemonFollowsNetworks) {
    NetworksSandbox box(BERTH_DNS_BINARY);
    CreateRequest request;
    request.name = "mynet";
    request.subnet = "10.230.0.0/24";
    box.networks().create(request);
    EXPECT_FALSE(berth::path_exists(box.config().dns_pid_file));  // no container yet

    Attachment a = attach(box.networks(), "a", "mynet", {"web"});
    Attachment b = attach(box.networks(), "b", "mynet", {"web"});
    ASSERT_TRUE(berth::path_exists(box.config().dns_pid_file));
    EXPECT_EQ(dig(b, "a"), "10.230.0.2\n");
    EXPECT_EQ(dig(a, "b"), "10.230.0.3\n");
    std::string web = dig(a, "web");
    EXPECT_NE(web.find("10.230.0.2\n"), std::string::npos) << web;
    EXPECT_NE(web.find("10.230.0.3\n"), std::string::npos) << web;
    EXPECT_EQ(dig(a, "2.0.230.10.in-addr.arpa", "PTR"), "a.\n");

    // a goes: its name goes with it, b's stays.
    box.networks().release_container(a.endpoint.container_id);
    std::string gone;
    for (int i = 0; i < 40 && !(gone = dig(b, "a")).empty(); ++i) ::usleep(25 * 1000);
    EXPECT_EQ(gone, "");
    EXPECT_EQ(dig(b, "b"), "10.230.0.3\n");

    std::string pid = berth::read_file(box.config().dns_pid_file);
    box.networks().release_container(b.endpoint.container_id);
    EXPECT_FALSE(berth::path_exists(box.config().dns_pid_file));
    // Stopped with the last container: gone, or a zombie its new parent has not reaped yet.
    auto state =
        sh("awk '{print $3}' /proc/" + std::to_string(std::stoi(pid)) + "/stat 2>/dev/null");
    EXPECT_TRUE(state.out.empty() || state.out == "Z\n") << state.out;
}
