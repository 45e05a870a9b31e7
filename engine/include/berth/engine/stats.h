// `berth stats` and `berth top`: what docker shows, computed from the container's cgroup (the
// runtime library's stats: v2, or the v1 fallback on hybrid hosts) and from /proc.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace berth::engine {

// One reading of a container's counters.
struct StatsSample {
    uint64_t cpu_ns = 0;     // the cgroup's CPU time
    uint64_t system_ns = 0;  // the host's CPU time (all CPUs, /proc/stat), same instant
    unsigned online_cpus = 1;
    uint64_t memory_usage = 0;  // docker's: usage minus inactive file cache
    uint64_t memory_limit = 0;  // the cgroup's limit, or the host's memory when unlimited
    uint64_t pids = 0;
    uint64_t net_rx = 0, net_tx = 0;                  // the container's interfaces but lo
    std::optional<uint64_t> block_read, block_write;  // blkio of its cgroup, when it has one
};

// runtime_stats: the "data" object of Runtime::stats_json; pid: the container's init, for
// its network namespace and blkio cgroup (0: not running, those stay zero/unknown).
StatsSample make_sample(const nlohmann::json& runtime_stats, pid_t pid);

struct StatsRow {
    std::string id, name;
    double cpu_percent = 0;  // docker's: share of one CPU x online CPUs, 100% = one CPU
    uint64_t memory_usage = 0, memory_limit = 0;
    double memory_percent = 0;
    uint64_t net_rx = 0, net_tx = 0;
    std::optional<uint64_t> block_read, block_write;
    uint64_t pids = 0;
};

// The row between two samples (CPU % needs an interval; the rest is `after`).
StatsRow stats_row(const std::string& id, const std::string& name, const StatsSample& before,
                   const StatsSample& after);
// docker stats' table: header and one line (IDs cut to 12).
std::string stats_table_header();
std::string stats_table_line(const StatsRow& row);
// docker stats --format json: BlockIO, CPUPerc, Container, ID, MemPerc, MemUsage, Name, NetIO,
// PIDs, plus raw numbers (CPUPercent, MemUsageBytes, MemLimitBytes, PIDsCount) for scripts.
nlohmann::json stats_row_json(const StatsRow& row);
// docker's binary units: "1.5MiB", "64MiB", "0B"; decimal for network and block I/O ("1.2kB").
std::string binary_size(uint64_t bytes);
std::string decimal_size(uint64_t bytes);

// docker top's default (ps -ef) table of the given processes: UID PID PPID C STIME TTY TIME
// CMD. Processes that exited meanwhile are left out.
struct TopTable {
    std::vector<std::string> titles;
    std::vector<std::vector<std::string>> processes;
};
TopTable top_table(const std::vector<pid_t>& pids);

}  // namespace berth::engine
