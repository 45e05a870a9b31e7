// The config.json fields a user sets and then checks from inside the container.
#include <unistd.h>

#include "support/runtime_fixture.h"

namespace berth::test {
namespace {

using SpecFields = RuntimeTest;

TEST_F(SpecFields, SysctlOomScoreDomainnameAndDevices) {
    auto config = base_config({"sh", "-c",
                               "cat /proc/sys/net/ipv4/ip_forward; cat /proc/self/oom_score_adj; "
                               "cat /proc/sys/kernel/domainname; stat -c '%F %t:%T %a' /dev/fuse"});
    config["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
    config["process"]["oomScoreAdj"] = 500;
    config["domainname"] = "example.test";
    config["linux"]["devices"] = {{{"path", "/dev/fuse"}, {"type", "c"}, {"major", 10}, {"minor", 229},
                                   {"fileMode", 0600}}};
    Result r = run_config(config);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "1\n500\nexample.test\ncharacter special file a:e5 600\n");
}

TEST_F(SpecFields, JoinsANamespaceByPath) {
    std::string first = unique_id("ns");
    ASSERT_EQ(runtime({"run", "-d", "--bundle", write_bundle(base_config({"sleep", "60"})), first}).exit_code, 0);
    int pid = state(first)["pid"];
    std::string net = "/proc/" + std::to_string(pid) + "/ns/net";
    char target[128] = {};
    ASSERT_GT(readlink(net.c_str(), target, sizeof target - 1), 0);
    auto config = base_config({"readlink", "/proc/self/ns/net"});
    for (auto& ns : config["linux"]["namespaces"])
        if (ns["type"] == "network") ns["path"] = net;
    Result r = run_config(config);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, std::string(target) + "\n");
}

TEST_F(SpecFields, NoPivotFallbackRuns) {
    std::string bundle = write_bundle(base_config({"sh", "-c", "echo pid=$$; ls /"}));
    Result r = runtime({"run", "--no-pivot", "--bundle", bundle, unique_id("nopivot")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("pid=1\n"), std::string::npos);
    EXPECT_EQ(r.out.find("usr"), std::string::npos) << r.out;
}

TEST_F(SpecFields, SpecWritesADefaultConfigOnce) {
    std::string bundle = work_ + "/spec-bundle";
    mkdir(bundle.c_str(), 0755);
    ASSERT_EQ(runtime({"spec", "--bundle", bundle}).exit_code, 0);
    auto config = nlohmann::json::parse(read_text(bundle + "/config.json"));
    EXPECT_EQ(config["process"]["capabilities"]["bounding"].size(), 14u);
    EXPECT_TRUE(config["linux"].contains("seccomp"));
    Result again = runtime({"spec", "--bundle", bundle});
    EXPECT_NE(again.exit_code, 0);
    EXPECT_NE(again.err.find("exists"), std::string::npos);
}

TEST_F(SpecFields, LogFileGetsJsonErrorsForPodman) {
    std::string log = work_ + "/runtime.log";
    Result r = run({kRuntimeBinary, "--root", root_, "--log", log, "--log-format", "json", "state", "nope"});
    EXPECT_NE(r.exit_code, 0);
    auto line = nlohmann::json::parse(read_text(log));
    EXPECT_EQ(line["level"], "error");
    EXPECT_NE(line["msg"].get<std::string>().find("does not exist"), std::string::npos);
}

}  // namespace
}  // namespace berth::test
