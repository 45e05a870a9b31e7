#include "berth/engine/container_ops.h"

#include <fcntl.h>

#include <nlohmann/json.hpp>

#include "berth/runtime/runtime.h"
#include "rootfs.h"
#include "tree_copy.h"

namespace berth::engine {

ContainerFilesystem container_filesystem(Engine& engine, const std::string& id) {
    const ContainerStore& store = engine.containers();
    ContainerRecord record = store.load(id);
    RunState st = engine.state(id);
    ContainerFilesystem c;
    c.label = record.name;
    if (st.status == "running" && st.pid > 0) {
        c.pid = st.pid;
        c.pid_start_time = st.pid_start_time;
        return c;
    }
    // overlayfs refuses a second mount on an upper dir in use: take the mounted one.
    if (is_mount_point(store.rootfs_dir(id))) c.rootfs = store.rootfs_dir(id);
    c.lowers = record.lower_dirs;
    c.rw_dir = store.rw_dir(id);
    for (const MountPoint& m : record.mounts) {
        if (m.type != "bind" && m.type != "volume") continue;  // a tmpfs left with the process
        ResolvedMount r;
        r.type = m.type;
        r.name = m.name;
        r.source = m.source;
        r.destination = m.destination;
        r.read_only = !m.rw;
        c.mounts.push_back(r);
    }
    return c;
}

StatsSample sample_stats(Engine& engine, const std::string& id) {
    RunState st = engine.state(id);
    if (st.status != "running") return make_sample(nlohmann::json::object(), 0);
    runtime::Runtime rt(engine.containers().runtime_root());
    nlohmann::json event = nlohmann::json::parse(rt.stats_json(id));
    return make_sample(event["data"], st.pid);
}

std::vector<pid_t> container_processes(Engine& engine, const std::string& id) {
    if (engine.state(id).status != "running") return {};
    std::vector<pid_t> pids;
    for (const runtime::ProcessEntry& p :
         runtime::Runtime(engine.containers().runtime_root()).processes(id))
        pids.push_back(p.pid);
    return pids;
}

bool container_paused(const ContainerStore& store, const std::string& id) {
    try {
        return runtime::Runtime(store.runtime_root()).state(id).status == runtime::Status::paused;
    } catch (const Error&) {
        return false;  // no runtime record: not running at all
    }
}

void pause_container(Engine& engine, const std::string& id) {
    std::string name = engine.containers().load(id).name;
    UniqueFd lock = engine.containers().lock(id);
    if (engine.state(id).status != "running") throw Error("container " + name + " is not running");
    if (container_paused(engine.containers(), id))
        throw Error("container " + name + " is already paused");
    runtime::Runtime(engine.containers().runtime_root()).pause(id);
}

void unpause_container(Engine& engine, const std::string& id) {
    std::string name = engine.containers().load(id).name;
    UniqueFd lock = engine.containers().lock(id);
    if (!container_paused(engine.containers(), id))
        throw Error("container " + name + " is not paused");
    runtime::Runtime(engine.containers().runtime_root()).resume(id);
}

PrunedContainers prune_containers(Engine& engine) {
    PrunedContainers out;
    for (const std::string& id : engine.containers().ids()) {
        RunState st = engine.state(id);
        if (st.status == "running" || st.status == "restarting" || st.status == "paused") continue;
        uint64_t bytes = tree_bytes_at(AT_FDCWD, engine.containers().rw_dir(id) + "/upper");
        try {
            // Not forced: a container that started meanwhile is refused, not killed.
            engine.remove(id, false, false);
        } catch (const Error&) {
            continue;
        }
        out.ids.push_back(id);
        out.bytes += bytes;
    }
    return out;
}

}  // namespace berth::engine
