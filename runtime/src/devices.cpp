#include "devices.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>

#include "berth/error.h"
#include "kernel_mount.h"
#include "secure_path.h"

namespace berth::runtime {
namespace {

const Device kDefaultDevices[] = {
    {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
    {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
    {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
};

mode_t node_type(char type) {
    switch (type) {
        case 'b':
            return S_IFBLK;
        case 'p':
            return S_IFIFO;
        default:
            return S_IFCHR;  // 'c' and 'u' (unbuffered char)
    }
}

// In a user namespace mknod is not allowed: bind the host's node instead, as runc does. The
// host node is checked to be the device the spec asked for.
void bind_host_device(int root_fd, const Device& device) {
    UniqueFd host(::open(device.path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!host) throw_errno("linux.devices: open host " + device.path + " to bind it");
    struct stat st;
    if (::fstat(host.get(), &st) != 0 || (st.st_mode & S_IFMT) != node_type(device.type) ||
        st.st_rdev != makedev(device.major, device.minor))
        throw Error("linux.devices: host " + device.path + " is not the requested device");
    UniqueFd target = create_file_in_root(root_fd, device.path);
    UniqueFd tree = clone_tree(host.get(), false);
    attach_mount(tree.get(), target.get(), device.path);
}

void create_device(int root_fd, const Device& device) {
    auto [parent, name] = split_parent(device.path);
    UniqueFd dir = mkdir_all_in_root(root_fd, parent);
    dev_t dev = makedev(device.major, device.minor);
    mode_t type = node_type(device.type);
    if (::mknodat(dir.get(), name.c_str(), type | (device.file_mode & 07777), dev) != 0) {
        if (errno == EPERM) return bind_host_device(root_fd, device);
        if (errno != EEXIST) throw_errno("linux.devices: mknod " + device.path);
        // Keep a node that is already the right device; anything else is replaced.
        struct stat st;
        if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            (st.st_mode & S_IFMT) == type && st.st_rdev == dev)
            return;
        if (::unlinkat(dir.get(), name.c_str(), 0) != 0 ||
            ::mknodat(dir.get(), name.c_str(), type | (device.file_mode & 07777), dev) != 0)
            throw_errno("linux.devices: replace " + device.path);
    }
    // mknod honours the umask; the spec's fileMode is exact.
    if (::fchmodat(dir.get(), name.c_str(), device.file_mode & 07777, 0) != 0)
        throw_errno("linux.devices: chmod " + device.path);
    if (::fchownat(dir.get(), name.c_str(), device.uid, device.gid, AT_SYMLINK_NOFOLLOW) != 0)
        throw_errno("linux.devices: chown " + device.path);
}

void create_link(int dev_fd, const char* name, const char* target) {
    if (::symlinkat(target, dev_fd, name) != 0 && errno != EEXIST)
        throw_errno(std::string("symlink /dev/") + name);
}

}  // namespace

void populate_dev(int root_fd, const Spec& spec) {
    for (const Device& device : kDefaultDevices) {
        bool overridden = false;
        for (const Device& d : spec.linux.devices) overridden = overridden || d.path == device.path;
        if (!overridden) create_device(root_fd, device);
    }
    for (const Device& device : spec.linux.devices) create_device(root_fd, device);

    UniqueFd dev = mkdir_all_in_root(root_fd, "/dev");
    create_link(dev.get(), "fd", "/proc/self/fd");
    create_link(dev.get(), "stdin", "/proc/self/fd/0");
    create_link(dev.get(), "stdout", "/proc/self/fd/1");
    create_link(dev.get(), "stderr", "/proc/self/fd/2");
    if (::access("/proc/kcore", F_OK) == 0) create_link(dev.get(), "core", "/proc/kcore");
    // A devpts mounted with newinstance has its own ptmx; /dev/ptmx must point at it.
    struct stat st;
    if (::fstatat(dev.get(), "pts/ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (::fstatat(dev.get(), "ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISLNK(st.st_mode))
            ::unlinkat(dev.get(), "ptmx", 0);
        create_link(dev.get(), "ptmx", "pts/ptmx");
    }
}

}  // namespace berth::runtime
