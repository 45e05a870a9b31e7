// Resource limits really limit, on whichever cgroup driver this host uses (v1 fallback on the
// hybrid CI host, v2 in the qemu guest booted with cgroup_no_v1=all: see tests/vm/).
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "support/runtime_fixture.h"

namespace berth::test {
namespace {

class Cgroups : public RuntimeTest {
  protected:
    // A config whose cgroup sits beneath our own cgroup under a name unique to this test run.
    nlohmann::json limited_config(const std::vector<std::string>& args,
                                  const nlohmann::json& resources) {
        auto config = base_config(args);
        config["linux"]["resources"] = resources;
        config["linux"]["cgroupsPath"] =
            "berth-test-" + std::to_string(getpid()) + "/" + unique_id("cg");
        config["mounts"].push_back({{"destination", "/tmp"},
                                    {"type", "tmpfs"},
                                    {"source", "tmpfs"},
                                    {"options", {"size=256m"}}});
        return config;
    }
    std::string start_detached(const nlohmann::json& config) {
        std::string id = unique_id("cg");
        Result r = runtime({"run", "-d", "--bundle", write_bundle(config), id});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return id;
    }
    nlohmann::json stats(const std::string& id) {
        Result r = runtime({"events", "--stats", id});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        auto event = nlohmann::json::parse(r.out, nullptr, false);
        return event.is_discarded() ? nlohmann::json::object() : event["data"];
    }
    bool wait_for(const std::function<bool()>& condition, int timeout_ms = 10000) {
        for (int waited = 0; waited < timeout_ms; waited += 50) {
            if (condition()) return true;
            usleep(50000);
        }
        return false;
    }
};

TEST_F(Cgroups, DriverMatchesTheHost) {
    // The qemu run sets BERTH_EXPECT_CGROUP=v2 so a silent fallback to v1 there would fail.
    struct statfs st;
    ASSERT_EQ(statfs("/sys/fs/cgroup", &st), 0);
    std::string expected = st.f_type == CGROUP2_SUPER_MAGIC ? "v2" : "v1";
    if (const char* forced = getenv("BERTH_EXPECT_CGROUP")) {
        EXPECT_EQ(expected, forced);
    }
    std::string id = start_detached(limited_config({"sleep", "30"}, {{"pids", {{"limit", 20}}}}));
    auto record = nlohmann::json::parse(read_text(root_ + "/" + id + "/state.json"))["cgroup"];
    EXPECT_EQ(record["version"], expected);
    auto features = nlohmann::json::parse(run({kRuntimeBinary, "features"}).out);
    EXPECT_TRUE(features["linux"]["cgroup"][expected].get<bool>());
}

TEST_F(Cgroups, MemoryLimitOomKillsAndEventsReportIt) {
    // tmpfs pages are charged to the cgroup and cannot be reclaimed without swap.
    auto config = limited_config({"sh", "-c",
                                  "dd if=/dev/zero of=/tmp/big bs=1M count=64 2>/dev/null; echo "
                                  "dd=$? > /dev/null; sleep 30"},
                                 {{"memory", {{"limit", 32 << 20}}}});
    std::string id = start_detached(config);
    EXPECT_TRUE(wait_for([&] { return stats(id)["memory"]["events"].value("oom_kill", 0) >= 1; }))
        << stats(id).dump();
    EXPECT_EQ(stats(id)["memory"]["usage"]["limit"], 32 << 20);
}

TEST_F(Cgroups, PidsLimitStopsAForkBomb) {
    auto config =
        limited_config({"sh", "-c", "for i in $(seq 30); do sleep 5 & done; echo started"},
                       {{"pids", {{"limit", 10}}}});
    Result r = run_config(config);
    EXPECT_NE(r.err.find("can't fork"), std::string::npos) << r.out << r.err;
}

TEST_F(Cgroups, CpuQuotaThrottles) {
    auto config = limited_config({"sh", "-c", "while true; do :; done"},
                                 {{"cpu", {{"quota", 20000}, {"period", 100000}}}});
    std::string id = start_detached(config);
    EXPECT_TRUE(wait_for([&] {
        return stats(id)["cpu"]["throttling"].value("throttledPeriods", 0) > 0;
    })) << stats(id).dump();
}

TEST_F(Cgroups, PauseFreezesAndResumeThaws) {
    auto config = limited_config({"sh", "-c", "while true; do date +%s%N > /tmp/tick; done"},
                                 nlohmann::json::object());
    std::string id = start_detached(config);
    ASSERT_EQ(runtime({"pause", id}).exit_code, 0);
    EXPECT_EQ(state(id)["status"], "paused");
    int pid = state(id)["pid"];
    std::string tmp_tick = "/proc/" + std::to_string(pid) + "/root/tmp/tick";
    std::string before = read_text(tmp_tick);
    usleep(300000);
    EXPECT_EQ(read_text(tmp_tick), before) << "a frozen container kept running";
    Result again = runtime({"pause", id});
    EXPECT_NE(again.exit_code, 0);
    ASSERT_EQ(runtime({"resume", id}).exit_code, 0);
    EXPECT_EQ(state(id)["status"], "running");
    EXPECT_TRUE(wait_for([&] { return read_text(tmp_tick) != before; }));
    // A paused container can still be force-deleted.
    ASSERT_EQ(runtime({"pause", id}).exit_code, 0);
    EXPECT_EQ(runtime({"delete", "--force", id}).exit_code, 0);
}

TEST_F(Cgroups, UpdateChangesLimitsOfARunningContainer) {
    auto config = limited_config({"sleep", "30"}, {{"pids", {{"limit", 100}}}});
    std::string id = start_detached(config);
    EXPECT_EQ(stats(id)["pids"]["limit"], 100);
    ASSERT_EQ(runtime({"update", "--pids-limit", "7", "--memory", "64m", id}).exit_code, 0);
    EXPECT_EQ(stats(id)["pids"]["limit"], 7);
    EXPECT_EQ(stats(id)["memory"]["usage"]["limit"], 64 << 20);
    write_text(work_ + "/res.json", R"({"pids": {"limit": 9}})");
    ASSERT_EQ(runtime({"update", "-r", work_ + "/res.json", id}).exit_code, 0);
    EXPECT_EQ(stats(id)["pids"]["limit"], 9);
    Result bad = runtime({"update", "--memory", "lots", id});
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.err.find("--memory"), std::string::npos) << bad.err;
}

TEST_F(Cgroups, CgroupIsBeneathOursAndRemovedOnDelete) {
    auto config = limited_config({"sleep", "30"}, {{"pids", {{"limit", 50}}}});
    std::string id = start_detached(config);
    std::string cgroup_line =
        read_text("/proc/" + std::to_string(state(id)["pid"].get<int>()) + "/cgroup");
    std::string own = read_text("/proc/self/cgroup");
    std::string leaf = config["linux"]["cgroupsPath"];
    EXPECT_NE(cgroup_line.find(leaf), std::string::npos) << cgroup_line;
    // Every hierarchy path of the container starts with ours.
    std::string state_text = read_text(root_ + "/" + id + "/state.json");
    auto record = nlohmann::json::parse(state_text)["cgroup"];
    std::vector<std::string> dirs;
    if (record["version"] == "v2")
        dirs.push_back(record["path"]);
    else
        for (auto& [controller, path] : record["paths"].items()) dirs.push_back(path);
    ASSERT_FALSE(dirs.empty());
    for (const std::string& dir : dirs) EXPECT_TRUE(std::filesystem::exists(dir)) << dir;
    ASSERT_EQ(runtime({"delete", "--force", id}).exit_code, 0);
    for (const std::string& dir : dirs) {
        EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
        // The per-test parent we asked for goes too once empty.
        EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(dir).parent_path())) << dir;
    }
    (void)own;
}

TEST_F(Cgroups, DefaultParentGoesWithTheLastContainer) {
    auto config = base_config({"sleep", "30"});
    std::string a = unique_id("cgdefault"), b = unique_id("cgdefault");
    ASSERT_EQ(runtime({"run", "-d", "--bundle", write_bundle(config), a}).exit_code, 0);
    ASSERT_EQ(runtime({"run", "-d", "--bundle", write_bundle(config), b}).exit_code, 0);
    auto record = nlohmann::json::parse(read_text(root_ + "/" + a + "/state.json"))["cgroup"];
    std::string leaf = record["version"] == "v2" ? record["path"].get<std::string>()
                                                 : record["paths"]["pids"].get<std::string>();
    std::string parent = std::filesystem::path(leaf).parent_path();
    EXPECT_EQ(std::filesystem::path(parent).filename(), "berth");
    ASSERT_EQ(runtime({"delete", "--force", a}).exit_code, 0);
    EXPECT_TRUE(std::filesystem::exists(parent)) << "still used by " << b;
    ASSERT_EQ(runtime({"delete", "--force", b}).exit_code, 0);
    // Gone with the last container. Tests running in parallel share this default parent
    // (it sits beneath the caller's cgroup), so it may stay only while it holds one of theirs.
    std::vector<std::string> others;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(parent, ec))
        if (entry.is_directory()) others.push_back(entry.path().filename());
    EXPECT_TRUE(!std::filesystem::exists(parent) || !others.empty())
        << parent << " left behind empty";
    EXPECT_EQ(
        std::count(others.begin(), others.end(), a) + std::count(others.begin(), others.end(), b),
        0);
}

TEST_F(Cgroups, KillAllReachesEveryProcess) {
    auto config =
        limited_config({"sh", "-c", "sleep 100 & sleep 100 & wait"}, nlohmann::json::object());
    std::string id = start_detached(config);
    ASSERT_TRUE(wait_for([&] {
        return nlohmann::json::parse(runtime({"ps", "-f", "json", id}).out).size() == 3;
    }));
    ASSERT_EQ(runtime({"kill", "--all", id, "KILL"}).exit_code, 0);
    EXPECT_TRUE(wait_for([&] { return state(id)["status"] == "stopped"; }));
}

}  // namespace
}  // namespace berth::test
