// Container records on disk: <root>/<id>/state.json (written atomically), a lock file, the
// start socket while the container waits in "created", and a copy of its config.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "berth/fd.h"
#include "berth/runtime/runtime.h"

namespace berth::runtime {

struct ContainerRecord {
    ContainerState state;  // status here is what was stored: creating or created
    uint64_t pid_start_time = 0;
    bool own_pid_namespace = true;
    std::string cgroup_json;  // the cgroup driver's record; empty when cgroups are disabled
    // Whether start/delete must read the saved config for hooks (most containers have none,
    // and parsing a config with a seccomp profile costs more than the rest of `start`).
    bool has_poststart = false, has_poststop = false;
};

class StateStore {
  public:
    explicit StateStore(std::string root) : root_(std::move(root)) {}

    static void validate_id(const std::string& id);
    std::string dir(const std::string& id) const { return root_ + "/" + id; }
    std::string start_socket(const std::string& id) const { return dir(id) + "/start.sock"; }
    std::string config_copy(const std::string& id) const { return dir(id) + "/config.json"; }
    // Compiled seccomp programs, shared by every container under this root.
    std::string seccomp_cache_dir() const { return root_ + "/.seccomp-cache"; }

    // Creates <root>/<id>; Error "container <id> already exists" if it does.
    void create_dir(const std::string& id) const;
    void remove_dir(const std::string& id) const;
    bool exists(const std::string& id) const;
    // Exclusive lock held while a command changes this container.
    UniqueFd lock(const std::string& id) const;

    void save(const ContainerRecord& record) const;
    ContainerRecord load(const std::string& id) const;
    std::vector<std::string> ids() const;
    // The record's status reconciled with the live process: a dead or reused pid is "stopped",
    // a live init whose start socket is gone is "running".
    ContainerState current_state(const ContainerRecord& record) const;

  private:
    std::string root_;
};

std::string now_rfc3339();

}  // namespace berth::runtime
