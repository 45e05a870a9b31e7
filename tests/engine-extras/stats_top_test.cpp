// stats and top computations: docker's formulas on known runtime stats, and top's table for
// real processes of this test.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth/engine/stats.h"

namespace berth::test {
namespace {

using nlohmann::json;

json runtime_stats(uint64_t cpu_ns, uint64_t usage, uint64_t inactive, uint64_t limit,
                   uint64_t pids) {
    return {{"cpu", {{"usage", {{"total", cpu_ns}}}}},
            {"memory",
             {{"usage", {{"usage", usage}, {"limit", limit}}},
              {"raw", {{"total_inactive_file", inactive}}}}},
            {"pids", {{"current", pids}, {"limit", 100}}}};
}

TEST(Stats, DockerFormulas) {
    engine::StatsSample a = engine::make_sample(runtime_stats(1000, 0, 0, 64 << 20, 1), 0);
    engine::StatsSample b =
        engine::make_sample(runtime_stats(1000, 10 << 20, 2 << 20, 64 << 20, 3), 0);
    // A synthetic interval: the container used half of one CPU's time on a 2-CPU host.
    a.system_ns = 1'000'000'000;
    b.system_ns = 3'000'000'000;  // 2 s of host CPU time = 1 s wall on 2 CPUs
    b.online_cpus = 2;
    b.cpu_ns = a.cpu_ns + 500'000'000;
    engine::StatsRow r = engine::stats_row("0123456789abcdef", "web", a, b);
    EXPECT_NEAR(r.cpu_percent, 50.0, 1e-9);
    EXPECT_EQ(r.memory_usage, 8u << 20);  // usage minus inactive file cache
    EXPECT_EQ(r.memory_limit, 64u << 20);
    EXPECT_NEAR(r.memory_percent, 12.5, 1e-9);
    EXPECT_EQ(r.pids, 3u);
    json j = engine::stats_row_json(r);
    EXPECT_EQ(j["MemUsage"], "8MiB / 64MiB");
    EXPECT_EQ(j["CPUPerc"], "50.00%");
    EXPECT_EQ(j["MemPerc"], "12.50%");
    EXPECT_EQ(j["PIDs"], "3");
    EXPECT_EQ(j["Container"], "0123456789ab");
    EXPECT_EQ(j["BlockIO"], "--");  // no process: unknown, not zero
    std::string line = engine::stats_table_line(r);
    EXPECT_NE(line.find("8MiB / 64MiB"), std::string::npos) << line;
}

TEST(Stats, UnlimitedMemoryShowsTheHostsMemory) {
    engine::StatsSample s =
        engine::make_sample(runtime_stats(0, 1 << 20, 0, 9223372036854771712ull, 1), 0);
    EXPECT_GT(s.memory_limit, 0u);
    EXPECT_LT(s.memory_limit, 9223372036854771712ull);
    EXPECT_GT(s.system_ns, 0u);
    EXPECT_GE(s.online_cpus, 1u);
}

TEST(Stats, Units) {
    EXPECT_EQ(engine::binary_size(0), "0B");
    EXPECT_EQ(engine::binary_size(1536), "1.5KiB");
    EXPECT_EQ(engine::binary_size(64ull << 20), "64MiB");
    EXPECT_EQ(engine::decimal_size(1234), "1.234kB");
}

TEST(Top, ListsRealProcessesWithPsColumns) {
    pid_t child = fork();
    if (child == 0) {
        execl("/bin/sleep", "sleep", "30", nullptr);
        _exit(127);
    }
    usleep(100000);
    engine::TopTable t = engine::top_table({getpid(), child, 999999999});
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    EXPECT_EQ(t.titles,
              (std::vector<std::string>{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}));
    ASSERT_EQ(t.processes.size(), 2u);  // the made-up pid is left out
    EXPECT_EQ(t.processes[1][0], "root");
    EXPECT_EQ(t.processes[1][1], std::to_string(child));
    EXPECT_EQ(t.processes[1][2], std::to_string(getpid()));
    EXPECT_EQ(t.processes[1][7], "sleep 30");  // argv as given
}

}  // namespace
}  // namespace berth::test
