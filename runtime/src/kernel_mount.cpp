#include "kernel_mount.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>

#include "berth/error.h"

namespace berth::runtime {
namespace {

// The kernel explains fsconfig failures in the fs context's log ("tmpfs: Bad value for 'size'").
std::string fs_context_log(int fs_fd) {
    std::string log;
    char buf[512];  // one log entry per read
    for (;;) {
        ssize_t n = ::read(fs_fd, buf, sizeof buf - 1);
        if (n <= 0) break;
        // Each entry is "<e|w|i> <text>\n".
        std::string entry(buf, static_cast<size_t>(n));
        if (entry.size() > 2 && entry[1] == ' ') entry.erase(0, 2);
        while (!entry.empty() && entry.back() == '\n') entry.pop_back();
        if (!log.empty()) log += "; ";
        log += entry;
    }
    return log;
}

[[noreturn]] void throw_fs_error(int fs_fd, const std::string& what) {
    int err = errno;
    std::string log = fs_context_log(fs_fd);
    if (!log.empty()) throw Error(what + ": " + describe_errno(err) + ": " + log, err);
    throw_errno(what, err);
}

}  // namespace

UniqueFd new_filesystem(const std::string& fstype, const std::string& source,
                        const MountRequest& request) {
    UniqueFd fs(::fsopen(fstype.c_str(), FSOPEN_CLOEXEC));
    if (!fs) throw_errno("fsopen " + fstype);
    if (!source.empty() &&
        ::fsconfig(fs.get(), FSCONFIG_SET_STRING, "source", source.c_str(), 0) != 0)
        throw_fs_error(fs.get(), "set source of " + fstype);
    for (const auto& [key, value] : request.fs_params) {
        int rc = value.empty() && key.find('=') == std::string::npos
                     ? ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, key.c_str(), nullptr, 0)
                     : ::fsconfig(fs.get(), FSCONFIG_SET_STRING, key.c_str(), value.c_str(), 0);
        if (rc != 0) throw_fs_error(fs.get(), "option " + key + " of " + fstype);
    }
    if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
        throw_fs_error(fs.get(), "create " + fstype + " filesystem");
    unsigned attrs = static_cast<unsigned>(request.attr_set);
    int mnt = ::fsmount(fs.get(), FSMOUNT_CLOEXEC, attrs);
    if (mnt < 0) throw_fs_error(fs.get(), "fsmount " + fstype);
    return UniqueFd(mnt);
}

UniqueFd clone_tree(int source_fd, bool recursive) {
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH;
    if (recursive) flags |= AT_RECURSIVE;
    int fd = ::open_tree(source_fd, "", flags);
    if (fd < 0) throw_errno("open_tree (bind)");
    return UniqueFd(fd);
}

void apply_mount_attrs(int mount_fd, const MountRequest& request, bool recursive) {
    if (request.attr_set == 0 && request.attr_clear == 0) return;
    mount_attr attr{};
    attr.attr_set = request.attr_set;
    attr.attr_clr = request.attr_clear;
    unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
    if (::mount_setattr(mount_fd, "", flags, &attr, sizeof attr) != 0) throw_errno("mount_setattr");
}

void set_propagation(int mount_fd, unsigned long propagation, bool recursive) {
    mount_attr attr{};
    attr.propagation = propagation;
    unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
    if (::mount_setattr(mount_fd, "", flags, &attr, sizeof attr) != 0)
        throw_errno("set mount propagation");
}

void attach_mount(int mount_fd, int target_fd, const std::string& target_name) {
    if (::move_mount(mount_fd, "", target_fd, "",
                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
        throw_errno("mount on " + target_name);
}

}  // namespace berth::runtime
