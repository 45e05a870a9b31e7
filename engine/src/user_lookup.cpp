#include "user_lookup.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <sstream>

#include "berth/error.h"
#include "berth/fd.h"

namespace berth::engine {
namespace {

// The file's content, or nothing when the image has none. At most 4 MiB: a hostile image
// must not make us read a huge file.
std::optional<std::string> read_in_root(int rootfs_fd, const char* path) {
    open_how how{};
    // Symlinks are followed, but inside the rootfs only (RESOLVE_IN_ROOT). O_NONBLOCK and the
    // regular-file check: an image's FIFO or device at /etc/passwd must not hang the monitor.
    how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, rootfs_fd, path, &how, sizeof how)));
    if (!fd) return std::nullopt;
    struct stat st;
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
        throw Error(std::string("image ") + path + " is not a regular file");
    std::string out;
    char buf[8192];
    ssize_t n;
    while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) {
        out.append(buf, static_cast<size_t>(n));
        if (out.size() > (4u << 20)) throw Error(std::string("image ") + path + " is too large");
    }
    return out;
}

std::vector<std::vector<std::string>> colon_lines(const std::string& text) {
    std::vector<std::vector<std::string>> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> fields;
        size_t start = 0;
        for (;;) {
            size_t colon = line.find(':', start);
            fields.push_back(line.substr(start, colon - start));
            if (colon == std::string::npos) break;
            start = colon + 1;
        }
        out.push_back(std::move(fields));
    }
    return out;
}

std::optional<uint32_t> number(const std::string& s) {
    if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    unsigned long v = std::stoul(s);
    if (v > 0xfffffffeUL) return std::nullopt;
    return static_cast<uint32_t>(v);
}

}  // namespace

ResolvedUser resolve_user(int rootfs_fd, const std::string& spec) {
    ResolvedUser r;
    if (spec.empty()) return r;
    size_t colon = spec.find(':');
    std::string user = spec.substr(0, colon);
    std::string group = colon == std::string::npos ? "" : spec.substr(colon + 1);
    auto passwd = colon_lines(read_in_root(rootfs_fd, "/etc/passwd").value_or(""));
    std::string user_name;
    bool found = false;
    for (const auto& f : passwd) {
        if (f.size() < 7) continue;
        if (f[0] == user || (number(user) && f[2] == user)) {
            auto uid = number(f[2]), gid = number(f[3]);
            if (!uid || !gid) continue;
            r.uid = *uid;
            r.gid = *gid;
            r.home = f[5].empty() ? "/" : f[5];
            user_name = f[0];
            found = true;
            break;
        }
    }
    if (!found) {
        auto uid = number(user);
        if (!uid)
            throw Error("unable to find user " + user +
                        ": no matching entries in the image's passwd file");
        r.uid = *uid;
    }
    auto groups = colon_lines(read_in_root(rootfs_fd, "/etc/group").value_or(""));
    if (!group.empty()) {
        bool group_found = false;
        for (const auto& f : groups) {
            if (f.size() < 3) continue;
            if (f[0] == group || (number(group) && f[2] == group)) {
                if (auto gid = number(f[2])) {
                    r.gid = *gid;
                    group_found = true;
                    break;
                }
            }
        }
        if (!group_found) {
            auto gid = number(group);
            if (!gid)
                throw Error("unable to find group " + group +
                            ": no matching entries in the image's group file");
            r.gid = *gid;
        }
    }
    // Supplementary groups listing the user by name, as docker (and login) give them.
    if (!user_name.empty())
        for (const auto& f : groups) {
            if (f.size() < 4) continue;
            auto gid = number(f[2]);
            if (!gid || *gid == r.gid) continue;
            std::istringstream members(f[3]);
            std::string m;
            while (std::getline(members, m, ','))
                if (m == user_name) r.additional_gids.push_back(*gid);
        }
    return r;
}

void make_dirs_in_root(int rootfs_fd, const std::string& path) {
    UniqueFd current(::fcntl(rootfs_fd, F_DUPFD_CLOEXEC, 0));
    size_t start = 0;
    while (start < path.size()) {
        size_t slash = path.find('/', start);
        std::string part =
            path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        start = slash == std::string::npos ? path.size() : slash + 1;
        if (part.empty() || part == ".") continue;
        if (part == "..") throw Error("working directory " + path + ": \"..\" is not allowed");
        if (::mkdirat(current.get(), part.c_str(), 0755) != 0 && errno != EEXIST)
            throw_errno("create working directory " + path);
        open_how how{};
        how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
        how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        UniqueFd next(static_cast<int>(
            ::syscall(SYS_openat2, current.get(), part.c_str(), &how, sizeof how)));
        if (!next) throw_errno("open working directory " + path + " at " + part);
        current = std::move(next);
    }
}

}  // namespace berth::engine
