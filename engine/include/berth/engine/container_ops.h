// Engine operations beside the core's lifecycle: cp's view of a container, stats samples,
// top's processes, rename, pause/unpause and container prune.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "berth/engine/container_copy.h"
#include "berth/engine/engine.h"
#include "berth/engine/stats.h"

namespace berth::engine {

// Running (or paused): its init's /proc view; otherwise its layers, upper dir and mounts
// (or the rootfs where the engine still has it mounted).
ContainerFilesystem container_filesystem(Engine& engine, const std::string& id);

// A stats reading; a container that is not running reads as zero (its cgroup is gone).
StatsSample sample_stats(Engine& engine, const std::string& id);
// The container's processes, init first (empty when it is not running).
std::vector<pid_t> container_processes(Engine& engine, const std::string& id);

// True while the container's cgroup is frozen.
bool container_paused(const ContainerStore& store, const std::string& id);
// Refused unless running (pause) or paused (unpause), with docker's wording.
void pause_container(Engine& engine, const std::string& id);
void unpause_container(Engine& engine, const std::string& id);

// Removes every container that is not running (created, exited, dead). Returns their IDs
// and the bytes their writable layers held.
struct PrunedContainers {
    std::vector<std::string> ids;
    uint64_t bytes = 0;
};
PrunedContainers prune_containers(Engine& engine);

}  // namespace berth::engine
