// The container's root filesystem: an overlay over the image's layers with the container's
// own upper/work dirs, mounted on bundle/rootfs while the container runs.
#pragma once

#include <string>

#include "berth/engine/container.h"
#include "berth/engine/container_store.h"
#include "berth/images/overlay.h"

namespace berth::engine {

images::OverlayMount mount_rootfs(const ContainerStore& store, const ContainerRecord& record);
bool is_mount_point(const std::string& path);
// After a monitor died: lazily unmounts a rootfs left mounted.
void unmount_rootfs_if_mounted(const ContainerStore& store, const std::string& id);

}  // namespace berth::engine
