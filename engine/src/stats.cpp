// docker stats' numbers from the runtime's cgroup stats and the container's /proc entries.
#include "berth/engine/stats.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace berth::engine {
namespace {

using nlohmann::json;

uint64_t number_at(const json& j, std::initializer_list<const char*> path) {
    const json* at = &j;
    for (const char* key : path) {
        if (!at->is_object() || !at->contains(key)) return 0;
        at = &(*at)[key];
    }
    return at->is_number_unsigned() || at->is_number_integer() ? at->get<uint64_t>() : 0;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

uint64_t host_memory() {
    std::istringstream in(slurp("/proc/meminfo"));
    std::string key;
    uint64_t kib = 0;
    while (in >> key >> kib) {
        if (key == "MemTotal:") return kib * 1024;
        in.ignore(1 << 10, '\n');
    }
    return 0;
}

// The host's CPU time (ns) and online CPU count from /proc/stat, as docker's daemon reads it.
void host_cpu(StatsSample& s) {
    std::istringstream in(slurp("/proc/stat"));
    std::string line;
    unsigned cpus = 0;
    const double ns_per_tick = 1e9 / static_cast<double>(::sysconf(_SC_CLK_TCK));
    while (std::getline(in, line)) {
        if (line.rfind("cpu ", 0) == 0) {
            std::istringstream fields(line.substr(4));
            uint64_t v = 0, total = 0;
            for (int i = 0; i < 8 && fields >> v; ++i) total += v;  // user..steal
            s.system_ns = static_cast<uint64_t>(static_cast<double>(total) * ns_per_tick);
        } else if (line.rfind("cpu", 0) == 0) {
            ++cpus;
        }
    }
    s.online_cpus = cpus ? cpus : 1;
}

void network(pid_t pid, StatsSample& s) {
    std::istringstream in(slurp("/proc/" + std::to_string(pid) + "/net/dev"));
    std::string line;
    while (std::getline(in, line)) {
        size_t colon = line.find(':');
        if (colon == std::string::npos) continue;  // the two header lines
        std::string name = line.substr(0, colon);
        name.erase(0, name.find_first_not_of(' '));
        if (name == "lo") continue;
        std::istringstream fields(line.substr(colon + 1));
        uint64_t v[9] = {};
        for (uint64_t& x : v) fields >> x;
        s.net_rx += v[0];
        s.net_tx += v[8];
    }
}

// Block I/O of the container's own blkio (v1) or io (v2) cgroup; unknown when it has none.
void block_io(pid_t pid, StatsSample& s) {
    std::istringstream in(slurp("/proc/" + std::to_string(pid) + "/cgroup"));
    std::string line, v1_path, v2_path;
    while (std::getline(in, line)) {
        size_t a = line.find(':'), b = line.find(':', a + 1);
        if (a == std::string::npos || b == std::string::npos) continue;
        std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
        if (controllers == "blkio") v1_path = path;
        if (controllers.empty()) v2_path = path;
    }
    uint64_t read = 0, write = 0;
    if (!v1_path.empty() && v1_path != "/") {
        std::ifstream f("/sys/fs/cgroup/blkio" + v1_path + "/blkio.throttle.io_service_bytes");
        if (!f) return;
        std::string dev, op;
        uint64_t n;
        while (f >> dev) {
            if (dev == "Total") {
                f >> n;
                continue;
            }
            if (!(f >> op >> n)) break;
            if (op == "Read") read += n;
            if (op == "Write") write += n;
        }
    } else if (!v2_path.empty() && v2_path != "/" && v1_path.empty()) {
        std::ifstream f("/sys/fs/cgroup" + v2_path + "/io.stat");
        if (!f) return;
        std::string word;
        while (f >> word) {
            if (word.rfind("rbytes=", 0) == 0) read += std::stoull(word.substr(7));
            if (word.rfind("wbytes=", 0) == 0) write += std::stoull(word.substr(7));
        }
    } else {
        return;
    }
    s.block_read = read;
    s.block_write = write;
}

std::string units(double v, const char* const* names, int count, double base) {
    int u = 0;
    while (v >= base && u < count - 1) v /= base, ++u;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g%s", v, names[u]);
    return buf;
}

std::string percent(double p) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f%%", p);
    return buf;
}

std::string io_pair(const std::optional<uint64_t>& a, const std::optional<uint64_t>& b) {
    if (!a || !b) return "--";
    return decimal_size(*a) + " / " + decimal_size(*b);
}

}  // namespace

std::string binary_size(uint64_t bytes) {
    static const char* const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    return units(static_cast<double>(bytes), names, 6, 1024);
}

std::string decimal_size(uint64_t bytes) {
    static const char* const names[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    return units(static_cast<double>(bytes), names, 6, 1000);
}

StatsSample make_sample(const json& data, pid_t pid) {
    StatsSample s;
    host_cpu(s);
    s.cpu_ns = number_at(data, {"cpu", "usage", "total"});
    uint64_t usage = number_at(data, {"memory", "usage", "usage"});
    // docker subtracts the inactive page cache (v1: total_inactive_file, v2: inactive_file).
    const json raw =
        data.contains("memory") ? data["memory"].value("raw", json::object()) : json::object();
    uint64_t inactive = raw.contains("total_inactive_file")
                            ? number_at(raw, {"total_inactive_file"})
                            : number_at(raw, {"inactive_file"});
    s.memory_usage = inactive < usage ? usage - inactive : usage;
    uint64_t limit = number_at(data, {"memory", "usage", "limit"});
    uint64_t host = host_memory();
    s.memory_limit = limit == 0 || (host && limit > host) ? host : limit;
    s.pids = number_at(data, {"pids", "current"});
    if (pid > 0) {
        network(pid, s);
        block_io(pid, s);
    }
    return s;
}

StatsRow stats_row(const std::string& id, const std::string& name, const StatsSample& before,
                   const StatsSample& after) {
    StatsRow r;
    r.id = id;
    r.name = name;
    if (after.cpu_ns > before.cpu_ns && after.system_ns > before.system_ns)
        r.cpu_percent = static_cast<double>(after.cpu_ns - before.cpu_ns) /
                        static_cast<double>(after.system_ns - before.system_ns) *
                        after.online_cpus * 100.0;
    r.memory_usage = after.memory_usage;
    r.memory_limit = after.memory_limit;
    if (after.memory_limit)
        r.memory_percent = static_cast<double>(after.memory_usage) /
                           static_cast<double>(after.memory_limit) * 100.0;
    r.net_rx = after.net_rx;
    r.net_tx = after.net_tx;
    r.block_read = after.block_read;
    r.block_write = after.block_write;
    r.pids = after.pids;
    return r;
}

std::string stats_table_header() {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%-15s%-20s%-10s%-24s%-9s%-20s%-20s%s", "CONTAINER ID", "NAME",
                  "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS");
    return buf;
}

std::string stats_table_line(const StatsRow& r) {
    char buf[512];
    std::string mem = binary_size(r.memory_usage) + " / " + binary_size(r.memory_limit);
    std::snprintf(buf, sizeof buf, "%-15s%-20s%-10s%-24s%-9s%-20s%-20s%llu",
                  r.id.substr(0, 12).c_str(), r.name.c_str(), percent(r.cpu_percent).c_str(),
                  mem.c_str(), percent(r.memory_percent).c_str(),
                  io_pair(r.net_rx, r.net_tx).c_str(), io_pair(r.block_read, r.block_write).c_str(),
                  static_cast<unsigned long long>(r.pids));
    return buf;
}

json stats_row_json(const StatsRow& r) {
    return {{"BlockIO", io_pair(r.block_read, r.block_write)},
            {"CPUPerc", percent(r.cpu_percent)},
            {"Container", r.id.substr(0, 12)},
            {"ID", r.id},
            {"MemPerc", percent(r.memory_percent)},
            {"MemUsage", binary_size(r.memory_usage) + " / " + binary_size(r.memory_limit)},
            {"Name", r.name},
            {"NetIO", io_pair(r.net_rx, r.net_tx)},
            {"PIDs", std::to_string(r.pids)},
            {"CPUPercent", r.cpu_percent},
            {"MemUsageBytes", r.memory_usage},
            {"MemLimitBytes", r.memory_limit},
            {"PIDsCount", r.pids}};
}

}  // namespace berth::engine
