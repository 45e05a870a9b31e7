#include "rootfs_setup.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>

#include "berth/error.h"
#include "berth/file_io.h"
#include "cgroup_mount.h"
#include "devices.h"
#include "kernel_mount.h"
#include "mount_options.h"
#include "secure_path.h"

namespace berth::runtime {
namespace {

unsigned long root_propagation(const std::string& name, bool& recursive) {
    recursive = name.empty() || name[0] == 'r';
    std::string base = name.empty() ? "slave" : (recursive ? name.substr(1) : name);
    if (base == "shared") return MS_SHARED;
    if (base == "private") return MS_PRIVATE;
    if (base == "unbindable") return MS_UNBINDABLE;
    return MS_SLAVE;
}

void check_procfs(int fd, const std::string& what) {
    struct statfs st;
    if (::fstatfs(fd, &st) != 0) throw_errno("statfs " + what);
    if (st.f_type != PROC_SUPER_MAGIC) throw Error(what + " is not a procfs mount");
}

void mount_bind(int root_fd, const Mount& mount, const MountRequest& request,
                const std::string& bundle) {
    std::string source = mount.source;
    if (source.empty()) throw Error("mount " + mount.destination + ": bind mount needs a source");
    if (source[0] != '/') source = bundle + "/" + source;
    UniqueFd source_fd(::open(source.c_str(), O_PATH | O_CLOEXEC));
    if (!source_fd) throw_errno("bind mount source " + source);
    struct stat st;
    if (::fstat(source_fd.get(), &st) != 0) throw_errno("stat " + source);
    UniqueFd target = S_ISDIR(st.st_mode) ? mkdir_all_in_root(root_fd, mount.destination)
                                          : create_file_in_root(root_fd, mount.destination);
    UniqueFd tree = clone_tree(source_fd.get(), request.recursive);
    apply_mount_attrs(tree.get(), request, request.recursive || request.recursive_attrs);
    attach_mount(tree.get(), target.get(), mount.destination);
    if (request.propagation)
        set_propagation(tree.get(), request.propagation, request.propagation_recursive);
}

void mount_filesystem(int root_fd, const Mount& mount, const MountRequest& request) {
    bool is_proc = mount.type == "proc";
    // /proc must be a real directory: a symlinked /proc could send procfs writes elsewhere.
    UniqueFd target = is_proc ? try_open_in_root(root_fd, mount.destination, O_PATH | O_DIRECTORY,
                                                 RESOLVE_NO_SYMLINKS)
                              : UniqueFd();
    if (!target) {
        if (is_proc && try_open_in_root(root_fd, mount.destination, O_PATH | O_NOFOLLOW))
            throw Error("mount proc on " + mount.destination + ": destination is not a directory");
        target = mkdir_all_in_root(root_fd, mount.destination);
    }
    UniqueFd fs = new_filesystem(mount.type, mount.source, request);
    attach_mount(fs.get(), target.get(), mount.destination);
    if (request.propagation)
        set_propagation(fs.get(), request.propagation, request.propagation_recursive);
    if (is_proc) check_procfs(fs.get(), mount.destination);
}

void mount_one(int root_fd, const Mount& mount, const std::string& bundle) {
    MountRequest request = parse_mount_options(mount.options);
    try {
        if (mount.type == "bind" || request.bind)
            mount_bind(root_fd, mount, request, bundle);
        else if (mount.type == "cgroup" || mount.type == "cgroup2")
            mount_cgroup_tree(root_fd, mount.destination, request);
        else if (mount.type.empty())
            throw Error("mount has no type and is not a bind mount");
        else
            mount_filesystem(root_fd, mount, request);
    } catch (const Error& e) {
        throw Error("mount " + mount.destination + " (" +
                        (mount.type.empty() ? "bind" : mount.type) + "): " + e.what(),
                    e.errno_value());
    }
}

bool dev_is_bind_mounted(const Spec& spec) {
    for (const Mount& m : spec.mounts)
        if (m.destination == "/dev" && (m.type == "bind" || parse_mount_options(m.options).bind))
            return true;
    return false;
}

void write_sysctls(const Spec& spec) {
    if (spec.linux.sysctl.empty()) return;
    UniqueFd proc_sys(::open("/proc/sys", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!proc_sys) throw_errno("open /proc/sys for linux.sysctl");
    check_procfs(proc_sys.get(), "/proc/sys");
    for (const auto& [key, value] : spec.linux.sysctl) {
        std::string relative = key;
        for (char& c : relative)
            if (c == '.') c = '/';
        UniqueFd knob(
            ::openat(proc_sys.get(), relative.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!knob) throw_errno("linux.sysctl: open " + key);
        if (::write(knob.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
            throw_errno("linux.sysctl: write " + key + "=" + value);
    }
}

void mask_path(const std::string& path, int null_fd) {
    UniqueFd target(::open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!target) {
        if (errno == ENOENT) return;  // masking a path the kernel lacks is a no-op, as in runc
        throw_errno("maskedPaths: open " + path);
    }
    struct stat st;
    if (::fstat(target.get(), &st) != 0) throw_errno("maskedPaths: stat " + path);
    if (S_ISDIR(st.st_mode)) {
        MountRequest request;
        request.attr_set = MOUNT_ATTR_RDONLY;
        UniqueFd fs = new_filesystem("tmpfs", "tmpfs", request);
        attach_mount(fs.get(), target.get(), path);
    } else {
        UniqueFd null_tree = clone_tree(null_fd, false);
        attach_mount(null_tree.get(), target.get(), path);
    }
}

// The /dev/null used for masking must really be the null device (CVE-2025-31133).
UniqueFd open_verified_dev_null() {
    UniqueFd fd(::open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) throw_errno("maskedPaths: open /dev/null");
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) throw_errno("maskedPaths: stat /dev/null");
    if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
        throw Error("maskedPaths: /dev/null in the container is not the null device (1:3)");
    return fd;
}

void make_readonly(const std::string& path) {
    UniqueFd target(::open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!target) {
        if (errno == ENOENT) return;
        throw_errno("readonlyPaths: open " + path);
    }
    UniqueFd tree = clone_tree(target.get(), true);
    MountRequest request;
    request.attr_set = MOUNT_ATTR_RDONLY;
    apply_mount_attrs(tree.get(), request, true);
    attach_mount(tree.get(), target.get(), path);
}

}  // namespace

UniqueFd prepare_rootfs(const RootfsContext& context) {
    const Spec& spec = context.spec;
    bool recursive;
    unsigned long propagation = root_propagation(spec.linux.rootfs_propagation, recursive);
    // Nothing mounted inside may leak back to the host: "/" becomes (r)slave unless asked
    // otherwise, before any mount is made.
    unsigned long root_flags =
        (propagation == MS_SHARED ? static_cast<unsigned long>(MS_SLAVE) : propagation) | MS_REC;
    if (::mount(nullptr, "/", nullptr, root_flags, nullptr) != 0)
        throw_errno("set propagation of / in the container's mount namespace");

    UniqueFd rootfs_dir(::open(context.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!rootfs_dir) throw_errno("open rootfs " + context.rootfs);
    // pivot_root needs the new root to be a mount point: bind the rootfs onto itself.
    UniqueFd tree = clone_tree(rootfs_dir.get(), true);
    attach_mount(tree.get(), rootfs_dir.get(), "rootfs " + context.rootfs);
    UniqueFd root(::open(context.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open rootfs mount " + context.rootfs);

    for (const Mount& mount : spec.mounts) mount_one(root.get(), mount, context.bundle);
    if (!dev_is_bind_mounted(spec)) populate_dev(root.get(), spec);
    return root;
}

void enter_rootfs(int rootfs_fd, bool no_pivot) {
    if (::fchdir(rootfs_fd) != 0) throw_errno("chdir into rootfs");
    if (no_pivot) {
        if (::mount(".", "/", nullptr, MS_MOVE, nullptr) != 0) throw_errno("move rootfs to /");
        if (::chroot(".") != 0) throw_errno("chroot into rootfs");
    } else {
        // pivot_root(".", ".") stacks the old root on top of the new one; detaching it then
        // leaves only the container's tree, with no directory needed for put_old.
        if (::syscall(SYS_pivot_root, ".", ".") != 0) throw_errno("pivot_root");
        if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
            throw_errno("make old root a slave");
        if (::umount2(".", MNT_DETACH) != 0) throw_errno("detach old root");
    }
    if (::chdir("/") != 0) throw_errno("chdir / in container");
}

void finish_rootfs(const Spec& spec) {
    bool recursive;
    unsigned long propagation = root_propagation(spec.linux.rootfs_propagation, recursive);
    if (propagation == MS_SHARED &&
        ::mount(nullptr, "/", nullptr, MS_SHARED | MS_REC, nullptr) != 0)
        throw_errno("linux.rootfsPropagation: make / shared");
    write_sysctls(spec);
    if (!spec.linux.masked_paths.empty()) {
        UniqueFd null_fd = open_verified_dev_null();
        for (const std::string& path : spec.linux.masked_paths) mask_path(path, null_fd.get());
    }
    for (const std::string& path : spec.linux.readonly_paths) make_readonly(path);
    if (spec.root_readonly) {
        mount_attr attr{};
        attr.attr_set = MOUNT_ATTR_RDONLY;
        if (::mount_setattr(AT_FDCWD, "/", 0, &attr, sizeof attr) != 0)
            throw_errno("root.readonly: remount / read-only");
    }
}

}  // namespace berth::runtime
