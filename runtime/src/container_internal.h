// Pieces shared by the lifecycle commands (create, start, run, delete).
#pragma once

#include <sys/types.h>

#include <string>

#include "berth/runtime/runtime.h"
#include "berth/runtime/spec.h"
#include "cgroup.h"
#include "state_store.h"

namespace berth::runtime {

// Everything `create` does; returns the init's pid (a child of the calling process).
pid_t create_container(const StateStore& store, const std::string& id,
                       const CreateOptions& options);
// Releases the waiting init; throws the init's error if the program could not be executed.
void start_container(const StateStore& store, const std::string& id);
// SIGKILLs every process of the container, waits for the init to go, runs poststop hooks and
// removes the state directory.
void destroy_container(const StateStore& store, const ContainerRecord& record);
// The container's cgroup as recorded at create time; nullptr when cgroups were disabled.
std::unique_ptr<Cgroup> cgroup_of(const ContainerRecord& record);
// The config.json copy taken at create time (hooks must not change under a running container).
Spec load_saved_spec(const StateStore& store, const std::string& id);

}  // namespace berth::runtime
