// The engine's container records under the store root, beside the image store:
//   containers/<id>/container.json   the ContainerRecord (written at create; rename and
//                                    network connect/disconnect replace it)
//   containers/<id>/state.json       the RunState (replaced atomically, under lock)
//   containers/<id>/lock             flock: held while a command or the monitor changes state
//   containers/<id>/bundle/          the OCI bundle: config.json, rootfs/ (the overlay mount)
//   containers/<id>/rw/upper, work   the overlay's writable layer
//   containers/<id>/hosts, hostname, resolv.conf   bind-mounted into the container
//   containers/<id>/container.log    JSON lines ({"log","stream","time"}), rotated by size
//   containers/lock                  flock: held while a name is taken or released
// Run-time state that must not survive a reboot lives under the run root (/run/berth):
// runtime/ (the runtime library's state) and containers/<id>/ (sockets).
#pragma once

#include <string>
#include <vector>

#include "berth/engine/container.h"
#include "berth/fd.h"

namespace berth::engine {

class ContainerStore {
  public:
    static constexpr const char* kDefaultRunRoot = "/run/berth";
    ContainerStore(std::string root, std::string run_root);

    const std::string& root() const { return root_; }
    const std::string& run_root() const { return run_root_; }
    std::string dir(const std::string& id) const { return containers_ + "/" + id; }
    std::string bundle_dir(const std::string& id) const { return dir(id) + "/bundle"; }
    std::string rootfs_dir(const std::string& id) const { return bundle_dir(id) + "/rootfs"; }
    std::string rw_dir(const std::string& id) const { return dir(id) + "/rw"; }
    std::string log_path(const std::string& id) const { return dir(id) + "/container.log"; }
    std::string run_dir(const std::string& id) const;
    std::string runtime_root() const { return run_root_ + "/runtime"; }

    // Every container ID, sorted.
    std::vector<std::string> ids() const;
    // A full ID, a unique ID prefix or a name -> the full ID. Throws "No such container: x"
    // or "container prefix x is ambiguous".
    std::string resolve(const std::string& name_or_id) const;
    bool exists(const std::string& id) const;

    // Creates the container's directory and record; fails with "the container name "/x" is
    // already in use by container <id>" when the name is taken. Assigns a name if empty.
    void create(ContainerRecord& record);
    ContainerRecord load(const std::string& id) const;
    // Replaces the record atomically (network connect/disconnect); the caller holds lock(id)
    // and loaded the record under it.
    void save_record(const ContainerRecord& record) const;
    // Gives the container a new name (container_rename.cpp); refused when another holds it.
    void rename(const std::string& id, const std::string& new_name);
    // Removes every file of the container (the caller unmounted its rootfs).
    void remove(const std::string& id);

    RunState load_state(const std::string& id) const;
    void save_state(const std::string& id, const RunState& state) const;
    // The container's lock (blocks until held); released when the fd closes.
    UniqueFd lock(const std::string& id) const;

  private:
    UniqueFd lock_names() const;
    std::string root_, run_root_, containers_;
};

}  // namespace berth::engine
