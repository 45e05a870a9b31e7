// Mounting "cgroup" in a container: cgroup2 on a pure v2 host; on a hybrid or v1 host a tmpfs
// holding one mount per v1 hierarchy plus the unified one, as runc and Docker lay it out.
#pragma once

#include <string>

#include "mount_options.h"

namespace berth::runtime {

void mount_cgroup_tree(int root_fd, const std::string& destination, const MountRequest& request);

}  // namespace berth::runtime
