// A container's cgroup, behind one interface with two drivers: cgroup v2 (the first-class path,
// used when /sys/fs/cgroup is cgroup2) and cgroup v1 (hybrid hosts like Debian's with systemd in
// legacy mode, where v1 hierarchies own cpu/memory/pids). Relative cgroupsPath values are placed
// beneath the calling process's own cgroup, as runc does.
#pragma once

#include <sys/types.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "berth/runtime/resources_spec.h"

namespace berth::runtime {

class Cgroup {
  public:
    virtual ~Cgroup() = default;
    virtual std::string version() const = 0;  // "v1" or "v2"
    virtual void create() = 0;
    // Writes only the fields that are set. Errors name the linux.resources field.
    virtual void apply(const Resources& resources) = 0;
    virtual void add_process(pid_t pid) = 0;
    virtual std::vector<pid_t> processes() const = 0;
    virtual void set_frozen(bool frozen) = 0;
    virtual bool frozen() const = 0;
    // SIGKILLs everything in the cgroup (cgroup.kill on v2).
    virtual void kill_all() = 0;
    // runc's `events --stats` data object.
    virtual nlohmann::json stats() const = 0;
    virtual uint64_t oom_kill_count() const = 0;
    // Removes the cgroup directories it created (the processes must be gone).
    virtual void destroy() = 0;
    // What the state file keeps so later commands find the same directories.
    virtual nlohmann::json to_json() const = 0;
};

// The driver for this host, for the container's cgroupsPath ("" = berth/<id>, relative).
std::unique_ptr<Cgroup> make_cgroup(const std::string& cgroups_path, const std::string& id);
// The driver for directories recorded by to_json(); nullptr for a null record.
std::unique_ptr<Cgroup> load_cgroup(const nlohmann::json& record);
// Which driver make_cgroup picks here: "v2" on a pure cgroup2 host, else "v1".
std::string host_cgroup_version();
// The controllers that driver can use here, comma-separated ("cpu,memory,pids").
std::string host_cgroup_controllers();

}  // namespace berth::runtime
