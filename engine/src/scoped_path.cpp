#include "scoped_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "berth/error.h"

namespace berth::engine {

PathScope PathScope::host() {
    return PathScope(-1, "");
}

PathScope PathScope::rooted(int root_fd, std::string label) {
    return PathScope(root_fd, std::move(label));
}

UniqueFd PathScope::try_open(const std::string& path, int flags, bool follow_last, int& err) const {
    err = 0;
    int fd;
    if (root_fd_ < 0) {
        fd = ::openat(AT_FDCWD, path.c_str(), flags | O_CLOEXEC | (follow_last ? 0 : O_NOFOLLOW));
    } else {
        open_how how{};
        how.flags =
            static_cast<unsigned long long>(flags | O_CLOEXEC | (follow_last ? 0 : O_NOFOLLOW));
        how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        // RESOLVE_IN_ROOT treats the path relative to the root either way; "/" is the root.
        const char* relative = path.c_str();
        while (*relative == '/') ++relative;
        if (*relative == '\0') relative = ".";
        fd = static_cast<int>(::syscall(SYS_openat2, root_fd_, relative, &how, sizeof how));
    }
    if (fd >= 0) return UniqueFd(fd);
    if (errno == ENOENT || errno == ENOTDIR) {
        err = errno;
        return UniqueFd();
    }
    throw_errno("open " + describe(path));
}

UniqueFd PathScope::open(const std::string& path, int flags, bool follow_last) const {
    int err = 0;
    UniqueFd fd = try_open(path, flags, follow_last, err);
    if (!fd) throw_errno("open " + describe(path), err);
    return fd;
}

std::string PathScope::describe(const std::string& path) const {
    return root_fd_ < 0 ? path : label_ + ":" + path;
}

std::pair<std::string, std::string> split_last(const std::string& path) {
    std::string p = path;
    // Drop trailing "/" and "/." so "dir/" and "dir/." name dir itself.
    for (;;) {
        if (p.size() > 1 && p.back() == '/') {
            p.pop_back();
        } else if (p.size() > 2 && p.compare(p.size() - 2, 2, "/.") == 0) {
            p.resize(p.size() - 2);
        } else {
            break;
        }
    }
    if (p == "/" || p == "/.") return {"/", "."};
    if (p == ".") return {".", "."};
    size_t slash = p.find_last_of('/');
    if (slash == std::string::npos) return {".", p};
    std::string parent = p.substr(0, slash);
    return {parent.empty() ? "/" : parent, p.substr(slash + 1)};
}

}  // namespace berth::engine
