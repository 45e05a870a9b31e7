#include "rootfs.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include "berth/error.h"

namespace berth::engine {

images::OverlayMount mount_rootfs(const ContainerStore& store, const ContainerRecord& record) {
    // A rootfs left mounted by a monitor that was killed is replaced, not stacked.
    unmount_rootfs_if_mounted(store, record.id);
    return images::OverlayMount(record.lower_dirs, store.rw_dir(record.id),
                                store.rootfs_dir(record.id), false);
}

bool is_mount_point(const std::string& path) {
    struct stat st, parent;
    if (::stat(path.c_str(), &st) != 0 || ::stat((path + "/..").c_str(), &parent) != 0)
        return false;
    return st.st_dev != parent.st_dev;
}

void unmount_rootfs_if_mounted(const ContainerStore& store, const std::string& id) {
    std::string path = store.rootfs_dir(id);
    while (is_mount_point(path))
        if (::umount2(path.c_str(), MNT_DETACH) != 0) throw_errno("unmount " + path);
}

}  // namespace berth::engine
