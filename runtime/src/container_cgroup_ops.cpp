// pause, resume, update and events: the operations that act on a container's cgroup.
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "berth/error.h"
#include "container_internal.h"

namespace berth::runtime {
namespace {

std::unique_ptr<Cgroup> require_cgroup(const ContainerRecord& record, const char* operation) {
    auto cgroup = cgroup_of(record);
    if (!cgroup)
        throw Error(std::string("cannot ") + operation + " container \"" + record.state.id +
                    "\": it was created without a cgroup (--cgroup-manager disabled)");
    return cgroup;
}

// Freezes or thaws under the container's lock, from the one status where that makes sense.
void set_frozen(const StateStore& store, const std::string& id, bool frozen) {
    const char* verb = frozen ? "pause" : "resume";
    Status from = frozen ? Status::running : Status::paused;
    UniqueFd lock = store.lock(id);
    ContainerRecord record = store.load(id);
    Status status = store.current_state(record).status;
    if (status != from)
        throw Error(std::string("cannot ") + verb + " container \"" + id + "\": it is " +
                    status_name(status) + ", not " + status_name(from));
    require_cgroup(record, verb)->set_frozen(frozen);
}

}  // namespace

void Runtime::pause(const std::string& id) {
    set_frozen(StateStore(root_), id, true);
}

void Runtime::resume(const std::string& id) {
    set_frozen(StateStore(root_), id, false);
}

void Runtime::update(const std::string& id, const Resources& resources) {
    StateStore store(root_);
    UniqueFd lock = store.lock(id);
    ContainerRecord record = store.load(id);
    Status status = store.current_state(record).status;
    if (status == Status::stopped)
        throw Error("cannot update container \"" + id + "\": it is stopped");
    require_cgroup(record, "update")->apply(resources);
}

std::string Runtime::stats_json(const std::string& id) const {
    StateStore store(root_);
    ContainerRecord record = store.load(id);
    nlohmann::json event = {
        {"type", "stats"}, {"id", id}, {"data", require_cgroup(record, "read stats of")->stats()}};
    return event.dump();
}

void Runtime::stream_events(const std::string& id, int interval_seconds, bool stats_only) const {
    StateStore store(root_);
    ContainerRecord record = store.load(id);
    auto cgroup = require_cgroup(record, "read events of");
    if (stats_only) {
        std::printf("%s\n", stats_json(id).c_str());
        return;
    }
    uint64_t ooms = cgroup->oom_kill_count();
    int waited_ms = 0;
    while (store.current_state(record).status != Status::stopped) {
        uint64_t now = cgroup->oom_kill_count();
        if (now > ooms)
            std::printf("%s\n", nlohmann::json{{"type", "oom"}, {"id", id}}.dump().c_str());
        ooms = now;
        if (waited_ms >= interval_seconds * 1000) {
            std::printf("%s\n", stats_json(id).c_str());
            waited_ms = 0;
        }
        std::fflush(stdout);
        ::usleep(100000);
        waited_ms += 100;
    }
}

}  // namespace berth::runtime
