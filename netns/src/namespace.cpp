#include "berth/netns/namespace.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "berth/error.h"
#include "berth/netns/netlink.h"

namespace berth::netns {
namespace {

// The directory holding namespace mounts is itself a shared mount point (as `ip netns` does):
// a container's mount namespace copies it, and our later unmount then propagates there
// instead of pinning the namespace forever.
void make_shared_mount_dir(const std::string& dir) {
    if (::mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) == 0) return;
    if (errno != EINVAL) throw_errno("make " + dir + " a shared mount");
    if (::mount(dir.c_str(), dir.c_str(), "none", MS_BIND | MS_REC, nullptr) != 0)
        throw_errno("bind mount " + dir + " onto itself");
    if (::mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) != 0)
        throw_errno("make " + dir + " a shared mount");
}

// Creating a namespace mount and removing the last one exclude each other (across processes
// and stores sharing the directory): a flock on the directory inode itself, the same for the
// directory and its bind mount, so no lock file is left anywhere.
UniqueFd lock_mount_dir(const std::string& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return fd;
    while (::flock(fd.get(), LOCK_EX) != 0 && errno == EINTR) {
    }
    return fd;
}

// True when `dir` is the bind mount of itself that make_shared_mount_dir made: its
// mountinfo root is the tail of its own mount point (a user's own mount there has another
// root, e.g. "/", and is left alone).
bool is_self_bind(const std::string& dir) {
    std::ifstream mountinfo("/proc/self/mountinfo");
    std::string line;
    bool found = false;
    while (std::getline(mountinfo, line)) {
        std::istringstream fields(line);
        std::string id, parent, devices, root, point;
        if (!(fields >> id >> parent >> devices >> root >> point) || point != dir) continue;
        found = root != "/" && point.size() >= root.size() &&
                point.compare(point.size() - root.size(), root.size(), root) == 0;
    }
    return found;  // the last mount at `dir` is the visible one
}

// The last namespace of the directory is gone: undo the bind mount, so the host looks as it
// did before the first (`ip netns` leaves its /run/netns mount behind; we do not).
void drop_empty_mount_dir(const std::string& dir) {
    std::error_code ec;
    if (!std::filesystem::is_empty(dir, ec) || ec) return;
    if (is_self_bind(dir)) ::umount2(dir.c_str(), MNT_DETACH);
}

}  // namespace

void run_in_netns(int netns_fd, const std::function<void()>& fn) {
    std::exception_ptr failure;
    std::thread worker([&] {
        try {
            if (::setns(netns_fd, CLONE_NEWNET) != 0) throw_errno("setns into network namespace");
            fn();
        } catch (...) {
            failure = std::current_exception();
        }
    });
    worker.join();
    if (failure) std::rethrow_exception(failure);
}

NetNamespace NetNamespace::create(const std::string& path) {
    const std::string dir = std::filesystem::path(path).parent_path().string();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw Error("create " + dir + ": " + ec.message(), ec.value());
    {
        UniqueFd lock = lock_mount_dir(dir);
        make_shared_mount_dir(dir);
        UniqueFd file(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
        if (!file) throw_errno("create " + path);
    }
    NetNamespace owner(UniqueFd(), path, true);  // unmounts/unlinks on any failure below
    std::exception_ptr failure;
    // unshare(CLONE_NEWNET) changes only the calling thread: do it on a throwaway one.
    std::thread creator([&] {
        try {
            if (::unshare(CLONE_NEWNET) != 0) throw_errno("unshare network namespace");
            if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0)
                throw_errno("bind mount network namespace at " + path);
        } catch (...) {
            failure = std::current_exception();
        }
    });
    creator.join();
    if (failure) std::rethrow_exception(failure);
    owner.fd_ = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!owner.fd_) throw_errno("open " + path);
    Netlink::in_namespace(owner.fd()).set_up("lo");
    return owner;
}

NetNamespace NetNamespace::open(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open network namespace " + path);
    return NetNamespace(std::move(fd), path, false);
}

NetNamespace& NetNamespace::operator=(NetNamespace&& other) noexcept {
    if (this != &other) {
        if (owns_mount_) remove_netns_mount(path_);
        fd_ = std::move(other.fd_);
        path_ = std::move(other.path_);
        owns_mount_ = std::exchange(other.owns_mount_, false);
    }
    return *this;
}

NetNamespace::~NetNamespace() {
    if (owns_mount_) remove_netns_mount(path_);
}

bool remove_netns_mount(const std::string& path) {
    const std::string dir = std::filesystem::path(path).parent_path().string();
    UniqueFd lock = lock_mount_dir(dir);
    bool unmounted = ::umount2(path.c_str(), MNT_DETACH) == 0;
    bool unlinked = ::unlink(path.c_str()) == 0;
    if (lock) drop_empty_mount_dir(dir);
    return unmounted || unlinked;
}

bool is_netns_mount(const std::string& path) {
    struct statfs fs {};
    return ::statfs(path.c_str(), &fs) == 0 && fs.f_type == NSFS_MAGIC;
}

}  // namespace berth::netns
