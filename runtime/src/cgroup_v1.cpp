// cgroup v1 driver for hybrid and legacy hosts: one directory per controller hierarchy, the
// same resources mapped to v1 files, pause through the freezer.
#include <signal.h>

#include <map>

#include "berth/error.h"
#include "cgroup.h"
#include "cgroup_files.h"
#include "cgroup_paths.h"

namespace berth::runtime {
namespace {

std::string device(int64_t major, int64_t minor) {
    return std::to_string(major) + ":" + std::to_string(minor);
}

class CgroupV1 : public Cgroup {
  public:
    CgroupV1(std::map<std::string, std::string> paths, std::vector<std::string> created)
        : paths_(std::move(paths)), created_(std::move(created)) {}

    std::string version() const override { return "v1"; }

    void create() override {
        std::map<std::string, bool> seen;
        for (const auto& [controller, path] : paths_) {
            if (seen[path]) continue;
            seen[path] = true;
            for (const std::string& dir : make_dirs(path)) {
                created_.push_back(dir);
                // A new cpuset is empty and refuses tasks until it inherits cpus and mems.
                if (controller == "cpuset") {
                    std::string parent = dir.substr(0, dir.rfind('/'));
                    write_knob(dir, "cpuset.cpus", read_knob(parent, "cpuset.cpus"),
                               "cpuset " + dir);
                    write_knob(dir, "cpuset.mems", read_knob(parent, "cpuset.mems"),
                               "cpuset " + dir);
                }
            }
        }
    }

    void apply(const Resources& r) override {
        const std::string f = "linux.resources";
        const MemoryResources& m = r.memory;
        // The kernel keeps memsw >= memory at every step, so the order follows the direction
        // (as in runc): a swap limit above the current memory limit (or unlimited) goes first,
        // otherwise the memory limit does. A fresh cgroup's limits are both unlimited.
        bool swap_first =
            m.swap && (*m.swap < 0 || *m.swap > current("memory", "memory.limit_in_bytes"));
        if (swap_first)
            set("memory", "memory.memsw.limit_in_bytes", std::to_string(*m.swap),
                f + ".memory.swap");
        if (m.limit)
            set("memory", "memory.limit_in_bytes", std::to_string(*m.limit), f + ".memory.limit");
        if (m.swap && !swap_first)
            set("memory", "memory.memsw.limit_in_bytes", std::to_string(*m.swap),
                f + ".memory.swap");
        if (m.reservation)
            set("memory", "memory.soft_limit_in_bytes", std::to_string(*m.reservation),
                f + ".memory.reservation");
        if (m.swappiness)
            set("memory", "memory.swappiness", std::to_string(*m.swappiness),
                f + ".memory.swappiness");
        if (m.disable_oom_killer)
            set("memory", "memory.oom_control", *m.disable_oom_killer ? "1" : "0",
                f + ".memory.disableOOMKiller");
        const CpuResources& c = r.cpu;
        if (c.shares) set("cpu", "cpu.shares", std::to_string(*c.shares), f + ".cpu.shares");
        if (c.period) set("cpu", "cpu.cfs_period_us", std::to_string(*c.period), f + ".cpu.period");
        if (c.quota)
            set("cpu", "cpu.cfs_quota_us", std::to_string(*c.quota > 0 ? *c.quota : -1),
                f + ".cpu.quota");
        if (c.cpus) set("cpuset", "cpuset.cpus", *c.cpus, f + ".cpu.cpus");
        if (c.mems) set("cpuset", "cpuset.mems", *c.mems, f + ".cpu.mems");
        if (r.pids_limit)
            set("pids", "pids.max", *r.pids_limit > 0 ? std::to_string(*r.pids_limit) : "max",
                f + ".pids.limit");
        const BlockIoResources& b = r.block_io;
        if (b.weight)
            set("blkio", "blkio.weight", std::to_string(*b.weight), f + ".blockIO.weight");
        for (const WeightDevice& d : b.weight_devices)
            if (d.weight)
                set("blkio", "blkio.weight_device",
                    device(d.major, d.minor) + " " + std::to_string(*d.weight),
                    f + ".blockIO.weightDevice");
        auto throttle = [&](const std::vector<ThrottleDevice>& list, const char* file,
                            const char* field) {
            for (const ThrottleDevice& d : list)
                set("blkio", file, device(d.major, d.minor) + " " + std::to_string(d.rate),
                    f + ".blockIO." + field);
        };
        throttle(b.read_bps, "blkio.throttle.read_bps_device", "throttleReadBpsDevice");
        throttle(b.write_bps, "blkio.throttle.write_bps_device", "throttleWriteBpsDevice");
        throttle(b.read_iops, "blkio.throttle.read_iops_device", "throttleReadIOPSDevice");
        throttle(b.write_iops, "blkio.throttle.write_iops_device", "throttleWriteIOPSDevice");
        for (const HugepageLimit& h : r.hugepage_limits)
            set("hugetlb", "hugetlb." + h.page_size + ".limit_in_bytes", std::to_string(h.limit),
                f + ".hugepageLimits");
        if (!r.unified.empty())
            throw Error(f +
                        ".unified: needs cgroup v2, and this host's controllers are on cgroup v1");
    }

    void add_process(pid_t pid) override {
        std::map<std::string, bool> seen;
        for (const auto& [controller, path] : paths_) {
            if (seen[path]) continue;
            seen[path] = true;
            write_knob(path, "cgroup.procs", std::to_string(pid),
                       "cgroupsPath (" + controller + ")");
        }
    }

    std::vector<pid_t> processes() const override {
        for (const char* controller : {"pids", "freezer", "memory", "cpu"})
            if (auto it = paths_.find(controller); it != paths_.end())
                return read_procs(it->second);
        return {};
    }

    void set_frozen(bool frozen) override {
        const std::string& dir = path("freezer", "pause");
        std::string wanted = frozen ? "FROZEN" : "THAWED";
        write_knob(dir, "freezer.state", wanted, "freezer");
        if (!wait_until(5000, [&] { return read_knob(dir, "freezer.state") == wanted; }))
            throw Error(std::string(frozen ? "freezing " : "thawing ") + dir + " timed out");
    }

    bool frozen() const override {
        auto it = paths_.find("freezer");
        if (it == paths_.end()) return false;
        try {
            return read_knob(it->second, "freezer.state") == "FROZEN";
        } catch (const Error&) {
            return false;
        }
    }

    void kill_all() override {
        // Frozen tasks do not act on SIGKILL until thawed.
        for (pid_t pid : processes()) ::kill(pid, SIGKILL);
        if (frozen()) set_frozen(false);
    }

    uint64_t oom_kill_count() const override {
        auto it = paths_.find("memory");
        return it == paths_.end() ? 0
                                  : read_flat_keyed(it->second, "memory.oom_control")["oom_kill"];
    }

    nlohmann::json stats() const override {
        nlohmann::json data;
        if (auto it = paths_.find("cpu"); it != paths_.end()) {
            auto cpu = read_flat_keyed(it->second, "cpu.stat");
            data["cpu"]["throttling"] = {{"periods", cpu["nr_periods"]},
                                         {"throttledPeriods", cpu["nr_throttled"]},
                                         {"throttledTime", cpu["throttled_time"]}};
        }
        if (auto it = paths_.find("cpuacct"); it != paths_.end()) {
            // cpuacct.stat is in USER_HZ ticks (100 per second).
            auto ticks = read_flat_keyed(it->second, "cpuacct.stat");
            data["cpu"]["usage"] = {{"total", read_knob_number(it->second, "cpuacct.usage")},
                                    {"user", ticks["user"] * 10000000},
                                    {"kernel", ticks["system"] * 10000000}};
        }
        if (auto it = paths_.find("memory"); it != paths_.end()) {
            const std::string& d = it->second;
            data["memory"] = {{"usage",
                               {{"usage", read_knob_number(d, "memory.usage_in_bytes")},
                                {"max", read_knob_number(d, "memory.max_usage_in_bytes")},
                                {"limit", read_knob_number(d, "memory.limit_in_bytes")},
                                {"failcnt", read_knob_number(d, "memory.failcnt")}}},
                              {"raw", read_flat_keyed(d, "memory.stat")},
                              {"events", {{"oom_kill", oom_kill_count()}}}};
        }
        if (auto it = paths_.find("pids"); it != paths_.end())
            data["pids"] = {{"current", read_knob_number(it->second, "pids.current")},
                            {"limit", read_knob_number(it->second, "pids.max")}};
        return data;
    }

    void destroy() override {
        std::map<std::string, bool> seen;
        for (const auto& [controller, dir] : paths_) {
            if (seen[dir]) continue;
            seen[dir] = true;
            remove_cgroup_dir(dir);
        }
        for (auto it = created_.rbegin(); it != created_.rend(); ++it) ::rmdir(it->c_str());
    }

    nlohmann::json to_json() const override {
        return {{"version", "v1"}, {"paths", paths_}, {"created", created_}};
    }

  private:
    const std::string& path(const std::string& controller, const std::string& field) const {
        auto it = paths_.find(controller);
        if (it == paths_.end())
            throw Error(field + ": the " + controller +
                        " cgroup controller is not mounted on this host");
        return it->second;
    }
    void set(const std::string& controller, const std::string& file, const std::string& value,
             const std::string& field) {
        write_knob(path(controller, field), file, value, field);
    }
    int64_t current(const std::string& controller, const std::string& file) const {
        auto it = paths_.find(controller);
        return it == paths_.end() ? 0 : static_cast<int64_t>(read_knob_number(it->second, file));
    }

    std::map<std::string, std::string> paths_;
    std::vector<std::string> created_;
};

}  // namespace

std::unique_ptr<Cgroup> make_cgroup_v1(const std::string& cgroups_path, bool remove_parent) {
    std::map<std::string, std::string> paths;
    std::vector<std::string> removable;  // removed on destroy when empty, parents first here
    for (const V1Hierarchy& h : v1_hierarchies(kV1Controllers)) {
        paths[h.controller] = join_cgroup_path(h.mountpoint, h.own_path, cgroups_path);
        if (remove_parent) removable.push_back(parent_dir(paths[h.controller]));
    }
    if (paths.empty()) throw Error("no cgroup v1 hierarchies are mounted on this host");
    return std::make_unique<CgroupV1>(std::move(paths), std::move(removable));
}

std::unique_ptr<Cgroup> load_cgroup_v1(const nlohmann::json& record) {
    return std::make_unique<CgroupV1>(record.at("paths").get<std::map<std::string, std::string>>(),
                                      record.at("created").get<std::vector<std::string>>());
}

}  // namespace berth::runtime
