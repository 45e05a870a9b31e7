// Building a container's filesystem view inside its new mount namespace: rootfs bind,
// spec mounts, /dev, pivot_root, then masked and read-only paths.
#pragma once

#include <string>

#include "berth/fd.h"
#include "berth/runtime/spec.h"

namespace berth::runtime {

struct RootfsContext {
    const Spec& spec;
    std::string rootfs;  // absolute host path
    std::string bundle;  // absolute host path (relative bind sources are resolved against it)
};

// Before pivot_root: propagation, the rootfs bind, every spec mount and /dev. Returns an
// O_PATH fd of the rootfs mount.
UniqueFd prepare_rootfs(const RootfsContext& context);
// Makes the prepared rootfs "/" (pivot_root, or MS_MOVE + chroot with no_pivot).
void enter_rootfs(int rootfs_fd, bool no_pivot);
// After pivot_root: sysctls, masked and read-only paths, read-only root.
void finish_rootfs(const Spec& spec);

}  // namespace berth::runtime
