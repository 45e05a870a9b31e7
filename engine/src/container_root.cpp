// The root directory of a container's files, running or stopped.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "berth/engine/container_copy.h"
#include "berth/error.h"
#include "berth/file_io.h"
#include "berth/images/overlay.h"
#include "scoped_path.h"

namespace berth::engine {
namespace {

uint64_t start_time_of(int proc_dir) {
    std::string stat = read_file_at(proc_dir, "stat");
    // Field 22, counted after the command's closing parenthesis (the command may hold spaces).
    size_t pos = stat.rfind(')');
    if (pos == std::string::npos) return 0;
    int field = 2;
    for (++pos; pos < stat.size() && field < 22; ++pos)
        if (stat[pos] == ' ') ++field;
    return std::strtoull(stat.c_str() + pos, nullptr, 10);
}

void with_running_root(const ContainerFilesystem& c, const std::function<void(int)>& fn) {
    std::string proc = "/proc/" + std::to_string(c.pid);
    // The /proc/<pid> fd pins that process: if it exits and the pid is reused, lookups through
    // this fd fail instead of reaching the new process.
    UniqueFd dir(::open(proc.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) throw Error("container " + c.label + " is not running (its process is gone)");
    if (c.pid_start_time != 0 && start_time_of(dir.get()) != c.pid_start_time)
        throw Error("container " + c.label + " is not running (its process is gone)");
    UniqueFd root(::openat(dir.get(), "root", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open the root of container " + c.label);
    fn(root.get());
}

void place_mount(int root_fd, const ResolvedMount& m, const std::string& label) {
    int err = 0;
    // Resolved inside the container root, as the runtime does when the container starts.
    UniqueFd target = PathScope::rooted(root_fd, label).try_open(m.destination, O_PATH, true, err);
    if (!target) return;  // the container never got this mount point: nothing is under it
    UniqueFd tree(::open_tree(AT_FDCWD, m.source.c_str(),
                              OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
    if (!tree) throw_errno("open mount source " + m.source);
    if (m.read_only) {
        mount_attr attr{};
        attr.attr_set = MOUNT_ATTR_RDONLY;
        if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0)
            throw_errno("make " + m.source + " read-only");
    }
    if (::move_mount(tree.get(), "", target.get(), "",
                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
        throw_errno("mount " + m.source + " on " + label + ":" + m.destination);
}

// In the child: a private mount namespace holding the container's rootfs and mounts.
void stopped_child(const ContainerFilesystem& c, const std::string& mountpoint,
                   const std::function<void(int)>& fn) {
    if (::unshare(CLONE_NEWNS) != 0) throw_errno("unshare a mount namespace");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        throw_errno("make the copy's mounts private");
    images::OverlayMount overlay;
    if (!c.rootfs.empty()) {
        UniqueFd tree(::open_tree(AT_FDCWD, c.rootfs.c_str(),
                                  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
        if (!tree) throw_errno("open rootfs " + c.rootfs + " of container " + c.label);
        if (::move_mount(tree.get(), "", AT_FDCWD, mountpoint.c_str(), MOVE_MOUNT_F_EMPTY_PATH))
            throw_errno("mount rootfs of container " + c.label);
    } else {
        overlay = images::OverlayMount(c.lowers, c.rw_dir, mountpoint, false);
    }
    UniqueFd root(::open(mountpoint.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open the root of container " + c.label);
    for (const ResolvedMount& m : c.mounts) place_mount(root.get(), m, c.label);
    fn(root.get());
}

void with_stopped_root(const ContainerFilesystem& c, const std::function<void(int)>& fn) {
    if (c.rootfs.empty() && (c.lowers.empty() || c.rw_dir.empty()))
        throw Error("container " + c.label + ": neither a rootfs nor its layers are known");
    char mountpoint[] = "/tmp/berth-cp-XXXXXX";
    if (!::mkdtemp(mountpoint)) throw_errno("create a mount point for container " + c.label);
    Pipe errors = Pipe::create();
    pid_t child = ::fork();
    if (child < 0) {
        int err = errno;
        ::rmdir(mountpoint);
        throw_errno("fork", err);
    }
    if (child == 0) {
        errors.read_end.reset();
        std::string message;
        try {
            stopped_child(c, mountpoint, fn);
        } catch (const std::exception& e) {
            message = e.what();
            if (message.empty()) message = "copy failed";
        }
        for (size_t done = 0; done < message.size();) {
            ssize_t n =
                ::write(errors.write_end.get(), message.data() + done, message.size() - done);
            if (n <= 0) break;
            done += static_cast<size_t>(n);
        }
        ::_exit(message.empty() ? 0 : 1);
    }
    errors.write_end.reset();
    std::string message;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(errors.read_end.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        message.append(buf, static_cast<size_t>(n));
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    // The mounts lived only in the child's namespace: the directory is empty again.
    ::rmdir(mountpoint);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    if (message.empty())
        message = "copy process for container " + c.label + " died (status " +
                  std::to_string(status) + ")";
    throw Error(message);
}

}  // namespace

void with_container_root(const ContainerFilesystem& container,
                         const std::function<void(int root_fd)>& fn) {
    if (container.pid > 0)
        with_running_root(container, fn);
    else
        with_stopped_root(container, fn);
}

}  // namespace berth::engine
