// The code that runs in the cloned child: it becomes the container's init.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "berth/fd.h"
#include "berth/runtime/runtime.h"
#include "berth/runtime/spec.h"
#include "seccomp_filter.h"

namespace berth::runtime {

struct InitContext {
    const Spec& spec;
    std::string rootfs;
    std::string bundle;
    const CreateOptions& options;
    int sync_fd;
    int start_listen_fd;
    int console_fd;                                              // -1 without a terminal
    std::vector<std::pair<NamespaceType, int>> join_namespaces;  // setns targets (not pid)
    bool new_cgroup_namespace = false;
    bool new_network_namespace = false;
    bool in_user_namespace = false;          // new or joined
    const SeccompFilter* seccomp = nullptr;  // compiled by the runtime; loaded right before exec //
                                             // unshared after the runtime placed us in our cgroup
};

[[noreturn]] void container_init_main(const InitContext& context);

}  // namespace berth::runtime
