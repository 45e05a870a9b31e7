// Thin RAII wrappers over the new mount API (fsopen/fsmount/open_tree/move_mount/
// mount_setattr). Every mount is attached to an fd resolved inside the rootfs, never to a
// path string that a container could swap under us.
#pragma once

#include <string>

#include "berth/fd.h"
#include "mount_options.h"

namespace berth::runtime {

// A new, detached filesystem instance (proc, tmpfs, sysfs, devpts, mqueue, cgroup2, ...).
UniqueFd new_filesystem(const std::string& fstype, const std::string& source,
                        const MountRequest& request);
// A detached copy of the mount tree at source_fd (bind mount), whole subtree when recursive.
UniqueFd clone_tree(int source_fd, bool recursive);
// Applies attributes and propagation from the request to an (attached or detached) mount.
void apply_mount_attrs(int mount_fd, const MountRequest& request, bool recursive);
void set_propagation(int mount_fd, unsigned long propagation, bool recursive);
// Attaches a detached mount on top of the target (an O_PATH fd).
void attach_mount(int mount_fd, int target_fd, const std::string& target_name);

}  // namespace berth::runtime
