// cgroup v2 driver: one directory in the unified hierarchy.
#include <signal.h>

#include <algorithm>
#include <sstream>

#include "berth/error.h"
#include "berth/file_io.h"
#include "cgroup.h"
#include "cgroup_files.h"
#include "cgroup_paths.h"

namespace berth::runtime {
namespace {

constexpr const char* kMount = "/sys/fs/cgroup";

std::string limit_or_max(int64_t value) {
    return value < 0 ? "max" : std::to_string(value);
}

// OCI cpu.shares (2..262144, default 1024) -> cgroup v2 cpu.weight (1..10000, default 100),
// the conversion runc and crun use.
uint64_t shares_to_weight(uint64_t shares) {
    if (shares == 0) return 0;
    return 1 + ((std::clamp<uint64_t>(shares, 2, 262144) - 2) * 9999) / 262142;
}

// blkio.weight (10..1000) -> io.weight (1..10000).
uint64_t blkio_to_io_weight(uint64_t weight) {
    return 1 + (weight - 10) * 9999 / 990;
}

class CgroupV2 : public Cgroup {
  public:
    CgroupV2(std::string path, std::vector<std::string> created)
        : path_(std::move(path)), created_(std::move(created)) {}

    std::string version() const override { return "v2"; }

    void create() override {
        for (std::string& dir : make_dirs(path_)) created_.push_back(std::move(dir));
        enable_controllers();
    }

    void apply(const Resources& r) override {
        const std::string f = "linux.resources";
        const MemoryResources& m = r.memory;
        if (m.limit) write_knob(path_, "memory.max", limit_or_max(*m.limit), f + ".memory.limit");
        if (m.reservation)
            write_knob(path_, "memory.low", limit_or_max(*m.reservation),
                       f + ".memory.reservation");
        if (m.swap) {
            // OCI swap counts memory + swap; v2's memory.swap.max counts swap alone.
            std::string value = *m.swap < 0 || !m.limit || *m.limit < 0
                                    ? "max"
                                    : std::to_string(*m.swap - *m.limit);
            write_knob(path_, "memory.swap.max", value, f + ".memory.swap");
        }
        if (m.disable_oom_killer && *m.disable_oom_killer)
            throw Error(f +
                        ".memory.disableOOMKiller: cgroup v2 has no way to disable the OOM killer");
        const CpuResources& c = r.cpu;
        if (c.shares)
            write_knob(path_, "cpu.weight", std::to_string(shares_to_weight(*c.shares)),
                       f + ".cpu.shares");
        if (c.quota || c.period) {
            std::string quota = c.quota && *c.quota > 0 ? std::to_string(*c.quota) : "max";
            write_knob(path_, "cpu.max", quota + " " + std::to_string(c.period.value_or(100000)),
                       f + ".cpu.quota");
        }
        if (c.cpus) write_knob(path_, "cpuset.cpus", *c.cpus, f + ".cpu.cpus");
        if (c.mems) write_knob(path_, "cpuset.mems", *c.mems, f + ".cpu.mems");
        if (r.pids_limit)
            write_knob(path_, "pids.max", *r.pids_limit > 0 ? std::to_string(*r.pids_limit) : "max",
                       f + ".pids.limit");
        apply_block_io(r.block_io);
        for (const HugepageLimit& h : r.hugepage_limits)
            write_knob(path_, "hugetlb." + h.page_size + ".max", std::to_string(h.limit),
                       f + ".hugepageLimits");
        for (const auto& [file, value] : r.unified)
            write_knob(path_, file, value, f + ".unified." + file);
    }

    void add_process(pid_t pid) override {
        write_knob(path_, "cgroup.procs", std::to_string(pid), "cgroupsPath " + path_);
    }

    std::vector<pid_t> processes() const override { return read_procs(path_); }

    void set_frozen(bool frozen) override {
        write_knob(path_, "cgroup.freeze", frozen ? "1" : "0", "freeze " + path_);
        bool done = wait_until(5000, [&] { return this->frozen() == frozen; });
        if (!done)
            throw Error(std::string(frozen ? "freezing " : "thawing ") + path_ + " timed out");
    }

    bool frozen() const override { return read_flat_keyed(path_, "cgroup.events")["frozen"] == 1; }

    void kill_all() override {
        try {
            write_existing_file(path_ + "/cgroup.kill", "1");
        } catch (const Error&) {
            // Kernels before 5.14 have no cgroup.kill.
            for (pid_t pid : processes()) ::kill(pid, SIGKILL);
        }
    }

    uint64_t oom_kill_count() const override {
        return read_flat_keyed(path_, "memory.events")["oom_kill"];
    }

    nlohmann::json stats() const override {
        auto cpu = read_flat_keyed(path_, "cpu.stat");
        nlohmann::json data;
        data["cpu"] = {{"usage",
                        {{"total", cpu["usage_usec"] * 1000},
                         {"user", cpu["user_usec"] * 1000},
                         {"kernel", cpu["system_usec"] * 1000}}},
                       {"throttling",
                        {{"periods", cpu["nr_periods"]},
                         {"throttledPeriods", cpu["nr_throttled"]},
                         {"throttledTime", cpu["throttled_usec"] * 1000}}}};
        data["memory"] = {{"usage",
                           {{"usage", read_knob_number(path_, "memory.current")},
                            {"max", read_knob_number(path_, "memory.peak")},
                            {"limit", read_knob_number(path_, "memory.max")}}},
                          {"swap",
                           {{"usage", read_knob_number(path_, "memory.swap.current")},
                            {"limit", read_knob_number(path_, "memory.swap.max")}}},
                          {"raw", read_flat_keyed(path_, "memory.stat")},
                          {"events", read_flat_keyed(path_, "memory.events")}};
        data["pids"] = {{"current", read_knob_number(path_, "pids.current")},
                        {"limit", read_knob_number(path_, "pids.max")}};
        return data;
    }

    void destroy() override {
        remove_cgroup_dir(path_);
        for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
            if (*it == path_) continue;
            ::rmdir(it->c_str());  // shared parents stay while other containers use them
        }
    }

    nlohmann::json to_json() const override {
        return {{"version", "v2"}, {"path", path_}, {"created", created_}};
    }

  private:
    // Controllers must be enabled in every ancestor's subtree_control for the leaf to get them.
    void enable_controllers() {
        std::string own = std::string(kMount) + (own_v2_path() == "/" ? "" : own_v2_path());
        std::string base = path_.rfind(own + "/", 0) == 0 ? own : kMount;
        std::string relative = path_.substr(base.size());  // "/a/b/leaf"
        std::vector<std::string> ancestors = {base};
        for (size_t pos = relative.find('/', 1); pos != std::string::npos;
             pos = relative.find('/', pos + 1))
            ancestors.push_back(base + relative.substr(0, pos));
        for (const std::string& dir : ancestors) {
            std::string enable;
            std::istringstream names(read_knob(dir, "cgroup.controllers"));
            std::string name;
            while (names >> name) enable += (enable.empty() ? "+" : " +") + name;
            if (enable.empty()) continue;
            try {
                write_existing_file(dir + "/cgroup.subtree_control", enable);
            } catch (const Error&) {
                // A cgroup holding processes cannot delegate (the no-internal-processes rule);
                // limits then fail naming the controller.
            }
        }
    }

    void apply_block_io(const BlockIoResources& b) {
        const std::string f = "linux.resources.blockIO";
        if (b.weight)
            write_knob(path_, "io.weight", std::to_string(blkio_to_io_weight(*b.weight)),
                       f + ".weight");
        for (const WeightDevice& d : b.weight_devices)
            if (d.weight)
                write_knob(path_, "io.weight",
                           std::to_string(d.major) + ":" + std::to_string(d.minor) + " " +
                               std::to_string(blkio_to_io_weight(*d.weight)),
                           f + ".weightDevice");
        auto throttle = [&](const std::vector<ThrottleDevice>& list, const char* key,
                            const char* field) {
            for (const ThrottleDevice& d : list)
                write_knob(path_, "io.max",
                           std::to_string(d.major) + ":" + std::to_string(d.minor) + " " + key +
                               "=" + (d.rate ? std::to_string(d.rate) : "max"),
                           f + "." + field);
        };
        throttle(b.read_bps, "rbps", "throttleReadBpsDevice");
        throttle(b.write_bps, "wbps", "throttleWriteBpsDevice");
        throttle(b.read_iops, "riops", "throttleReadIOPSDevice");
        throttle(b.write_iops, "wiops", "throttleWriteIOPSDevice");
    }

    std::string path_;
    std::vector<std::string> created_;
};

}  // namespace

std::unique_ptr<Cgroup> make_cgroup_v2(const std::string& cgroups_path, bool remove_parent) {
    std::string path = join_cgroup_path(kMount, own_v2_path(), cgroups_path);
    std::vector<std::string> removable;
    if (remove_parent) removable.push_back(parent_dir(path));
    return std::make_unique<CgroupV2>(path, std::move(removable));
}

std::unique_ptr<Cgroup> load_cgroup_v2(const nlohmann::json& record) {
    return std::make_unique<CgroupV2>(record.at("path").get<std::string>(),
                                      record.at("created").get<std::vector<std::string>>());
}

}  // namespace berth::runtime
