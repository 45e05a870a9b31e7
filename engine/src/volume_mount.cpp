// What the engine asks of the volume store: a mount source per -v at container create (with
// docker's copy of the image's content into a new volume) and the release at container rm.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "berth/engine/volumes.h"
#include "berth/error.h"
#include "scoped_path.h"
#include "tree_copy.h"
#include "volume_lock.h"

namespace berth::engine {
namespace {

void make_host_dirs(const std::string& path) {
    // docker -v creates a missing host directory (its --mount refuses instead).
    std::string walked;
    size_t pos = 1;
    while (pos <= path.size()) {
        size_t next = path.find('/', pos);
        if (next == std::string::npos) next = path.size();
        walked = path.substr(0, next);
        if (::mkdir(walked.c_str(), 0755) != 0 && errno != EEXIST)
            throw_errno("create bind mount source " + path);
        pos = next + 1;
    }
}

// Copies rootfs:destination (resolved inside the rootfs: an image symlink cannot make us read
// the host) into the empty volume directory, with the directory's own owner and mode.
void copy_image_content(const std::string& rootfs_dir, const std::string& destination,
                        const std::string& data_dir) {
    UniqueFd root(::open(rootfs_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open container rootfs " + rootfs_dir);
    int err = 0;
    UniqueFd src = PathScope::rooted(root.get(), "image")
                       .try_open(destination, O_RDONLY | O_DIRECTORY, true, err);
    if (!src) return;  // nothing at that path in the image (or not a directory): nothing to copy
    UniqueFd data(::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!data) throw_errno("open volume directory " + data_dir);
    if (!dir_is_empty(data.get())) return;
    TreeCopier copier(true);
    copier.copy_contents(src.get(), data.get(), "image:" + destination);
    struct stat st;
    if (::fstat(src.get(), &st) != 0) throw_errno("stat image:" + destination);
    if (::fchown(data.get(), st.st_uid, st.st_gid) != 0 ||
        ::fchmod(data.get(), st.st_mode & 07777) != 0)
        throw_errno("set owner and mode of volume directory " + data_dir);
}

}  // namespace

ResolvedMount VolumeStore::resolve(const VolumeSpec& spec) {
    ResolvedMount mount;
    mount.destination = spec.destination;
    mount.read_only = spec.read_only;
    mount.nocopy = spec.nocopy;
    if (spec.kind == VolumeSpec::Kind::bind) {
        mount.type = "bind";
        mount.source = spec.source;
        struct stat st;
        if (::stat(spec.source.c_str(), &st) != 0) {
            if (errno != ENOENT) throw_errno("bind mount source " + spec.source);
            make_host_dirs(spec.source);
        }
        return mount;
    }
    mount.type = "volume";
    mount.anonymous = spec.kind == VolumeSpec::Kind::anonymous;
    mount.name = mount.anonymous ? random_volume_name() : spec.source;
    mount.source = volumes_dir() + "/" + mount.name + "/_data";
    return mount;
}

void VolumeStore::acquire(const ResolvedMount& mount, const std::string& container_id) {
    if (mount.type != "volume") return;
    VolumeLock lock(volumes_dir(), true);
    Volume v = create_locked(mount.name, {}, mount.anonymous);
    if (std::find(v.users.begin(), v.users.end(), container_id) == v.users.end()) {
        v.users.push_back(container_id);
        save(v);
    }
}

void VolumeStore::populate(const std::string& name, const std::string& rootfs_dir,
                           const std::string& destination) {
    if (!valid_volume_name(name)) throw Error("no such volume: " + name);
    // Exclusive: two containers starting on one new volume must not both copy into it.
    VolumeLock lock(volumes_dir(), true);
    if (::access(record_path(name).c_str(), F_OK) != 0) throw Error("no such volume: " + name);
    copy_image_content(rootfs_dir, destination, volumes_dir() + "/" + name + "/_data");
}

ResolvedMount VolumeStore::mount_for(const VolumeSpec& spec, const std::string& container_id,
                                     const std::string& rootfs_dir) {
    ResolvedMount mount = resolve(spec);
    acquire(mount, container_id);
    if (mount.type == "volume" && !mount.nocopy && !rootfs_dir.empty())
        populate(mount.name, rootfs_dir, mount.destination);
    return mount;
}

std::vector<std::string> VolumeStore::release_all(const std::string& container_id,
                                                  bool remove_anonymous) {
    std::vector<std::string> removed;
    if (::access(volumes_dir().c_str(), F_OK) != 0) return removed;
    VolumeLock lock(volumes_dir(), true);
    for (const std::string& name : VolumeLock::names(volumes_dir())) {
        if (!valid_volume_name(name) || ::access(record_path(name).c_str(), F_OK) != 0) continue;
        Volume v = load(name);
        if (std::erase(v.users, container_id) == 0) continue;
        // The releasing container may still have its directory: it is not a user any more.
        std::vector<std::string> others = live_users(v);
        std::erase(others, container_id);
        if (remove_anonymous && v.anonymous && others.empty()) {
            delete_locked(name);
            removed.push_back(name);
        } else {
            save(v);
        }
    }
    return removed;
}

}  // namespace berth::engine
