#include "secure_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "berth/error.h"

namespace berth::runtime {
namespace {

int openat2_raw(int dir_fd, const std::string& path, int flags, unsigned long long resolve) {
    open_how how{};
    how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
    how.resolve = resolve;
    // RESOLVE_IN_ROOT wants a relative path; "/" means the root itself.
    const char* relative = path.c_str();
    while (*relative == '/') ++relative;
    if (*relative == '\0') relative = ".";
    return static_cast<int>(::syscall(SYS_openat2, dir_fd, relative, &how, sizeof how));
}

constexpr unsigned long long kInRoot = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

}  // namespace

std::pair<std::string, std::string> split_parent(const std::string& path) {
    size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return {"/", path};
    std::string parent = path.substr(0, slash);
    return {parent.empty() ? "/" : parent, path.substr(slash + 1)};
}

UniqueFd try_open_in_root(int root_fd, const std::string& path, int flags,
                          unsigned long long extra_resolve) {
    int fd = openat2_raw(root_fd, path, flags ? flags : O_PATH, kInRoot | extra_resolve);
    if (fd < 0) {
        if (errno == ENOENT) return UniqueFd();
        throw_errno("open " + path + " in container rootfs");
    }
    return UniqueFd(fd);
}

UniqueFd open_in_root(int root_fd, const std::string& path, int flags,
                      unsigned long long extra_resolve) {
    int fd = openat2_raw(root_fd, path, flags ? flags : O_PATH, kInRoot | extra_resolve);
    if (fd < 0) throw_errno("open " + path + " in container rootfs");
    return UniqueFd(fd);
}

UniqueFd mkdir_all_in_root(int root_fd, const std::string& path, mode_t mode) {
    UniqueFd existing = try_open_in_root(root_fd, path, O_PATH | O_DIRECTORY);
    if (existing) return existing;
    UniqueFd current = open_in_root(root_fd, "/", O_PATH | O_DIRECTORY);
    std::string walked;
    size_t pos = 0;
    while (pos < path.size()) {
        size_t next = path.find('/', pos);
        if (next == std::string::npos) next = path.size();
        std::string component = path.substr(pos, next - pos);
        pos = next + 1;
        if (component.empty() || component == ".") continue;
        walked += "/" + component;
        // mkdirat never follows a symlink in its last component, and the parent was resolved
        // inside the root, so nothing can be created outside it.
        if (::mkdirat(current.get(), component.c_str(), mode) != 0 && errno != EEXIST)
            throw_errno("mkdir " + walked + " in container rootfs");
        current = open_in_root(root_fd, walked, O_PATH | O_DIRECTORY);
    }
    return current;
}

UniqueFd create_file_in_root(int root_fd, const std::string& path, mode_t mode) {
    UniqueFd existing = try_open_in_root(root_fd, path, O_PATH);
    if (existing) return existing;
    auto [parent, name] = split_parent(path);
    UniqueFd dir = mkdir_all_in_root(root_fd, parent);
    UniqueFd created(::openat(dir.get(), name.c_str(),
                              O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!created && errno != EEXIST) throw_errno("create " + path + " in container rootfs");
    return open_in_root(root_fd, path, O_PATH);
}

}  // namespace berth::runtime
