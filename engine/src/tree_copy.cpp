#include "tree_copy.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <vector>

#include "berth/error.h"

namespace berth::engine {
namespace {

constexpr size_t kMaxLinkFds = 256;

void copy_data(int in, int out, const std::string& shown) {
    // copy_file_range shares extents on filesystems that can; across filesystem types the
    // kernel refuses it and we copy by hand.
    for (;;) {
        ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
        if (n == 0) return;
        if (n > 0) continue;
        if (errno == EINTR) continue;
        if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP ||
            errno == EBADF)
            break;
        throw_errno("copy " + shown);
    }
    std::vector<char> buf(1 << 17);
    for (;;) {
        ssize_t n = ::read(in, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("read " + shown);
        }
        if (n == 0) return;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = ::write(out, buf.data() + done, static_cast<size_t>(n - done));
            if (w < 0) {
                if (errno == EINTR) continue;
                throw_errno("write copy of " + shown);
            }
            done += w;
        }
    }
}

// The xattrs a copy should carry: file capabilities and ACLs keep programs and permissions
// working; user.* is user data. overlayfs' trusted.overlay.* and LSM labels stay behind.
bool copied_xattr(const std::string& name) {
    return name.rfind("user.", 0) == 0 || name == "security.capability" ||
           name == "system.posix_acl_access" || name == "system.posix_acl_default";
}

void copy_xattrs(int src, int dst, const std::string& shown) {
    ssize_t size = ::flistxattr(src, nullptr, 0);
    if (size <= 0) return;  // none, or a filesystem without xattrs
    std::string names(static_cast<size_t>(size), '\0');
    size = ::flistxattr(src, names.data(), names.size());
    if (size <= 0) return;
    names.resize(static_cast<size_t>(size));
    for (size_t pos = 0; pos < names.size();) {
        std::string name(names.c_str() + pos);
        pos += name.size() + 1;
        if (!copied_xattr(name)) continue;
        ssize_t len = ::fgetxattr(src, name.c_str(), nullptr, 0);
        if (len < 0) continue;
        std::string value(static_cast<size_t>(len), '\0');
        len = ::fgetxattr(src, name.c_str(), value.data(), value.size());
        if (len < 0) continue;
        if (::fsetxattr(dst, name.c_str(), value.data(), static_cast<size_t>(len), 0) != 0 &&
            errno != ENOTSUP && errno != EOPNOTSUPP)
            throw_errno("set " + name + " on the copy of " + shown);
    }
}

// Makes room for a non-directory at dir/name.
void clear_for_nondir(int dir, const std::string& name, const std::string& shown) {
    struct stat st;
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return;
        throw_errno("stat destination of " + shown);
    }
    if (S_ISDIR(st.st_mode))
        throw Error("cannot overwrite directory " + name + " with non-directory " + shown);
    if (::unlinkat(dir, name.c_str(), 0) != 0 && errno != ENOENT)
        throw_errno("replace " + name + " with " + shown);
}

std::string fd_path(int fd) {
    return "/proc/self/fd/" + std::to_string(fd);
}

}  // namespace

std::vector<std::string> directory_entries(int dir_fd, const std::string& shown) {
    int dup_fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) throw_errno("read directory " + shown);
    DIR* dir = ::fdopendir(dup_fd);
    if (!dir) {
        int err = errno;
        ::close(dup_fd);
        throw_errno("read directory " + shown, err);
    }
    ::rewinddir(dir);
    std::vector<std::string> names;
    errno = 0;
    while (dirent* e = ::readdir(dir)) {
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
            names.emplace_back(e->d_name);
        errno = 0;
    }
    int err = errno;
    ::closedir(dir);
    if (err != 0) throw_errno("read directory " + shown, err);
    return names;
}

UniqueFd reopen(int path_fd, int flags) {
    struct stat st;
    if (::fstat(path_fd, &st) != 0) return UniqueFd();
    if (S_ISDIR(st.st_mode))
        return UniqueFd(::openat(path_fd, ".", flags | O_DIRECTORY | O_CLOEXEC));
    return UniqueFd(::open(fd_path(path_fd).c_str(), flags | O_CLOEXEC));
}

void TreeCopier::copy(int src_dir, const std::string& src_name, int dst_dir,
                      const std::string& dst_name, const std::string& shown) {
    UniqueFd fd(::openat(src_dir, src_name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) throw_errno("open " + shown);
    copy_entry(fd.get(), dst_dir, dst_name, shown);
}

void TreeCopier::copy_entry(int src_fd, int dst_dir, const std::string& dst_name,
                            const std::string& shown) {
    struct stat st;
    if (::fstat(src_fd, &st) != 0) throw_errno("stat " + shown);
    if (S_ISDIR(st.st_mode)) {
        UniqueFd dir = reopen(src_fd, O_RDONLY);
        if (!dir) throw_errno("open directory " + shown);
        copy_dir(dir.get(), st, dst_dir, dst_name, shown);
        return;
    }
    if (S_ISSOCK(st.st_mode)) return;  // a socket is a live endpoint, not content (as tar)
    auto key = std::make_pair(st.st_dev, st.st_ino);
    if (st.st_nlink > 1) {
        if (auto it = links_.find(key); it != links_.end()) {
            clear_for_nondir(dst_dir, dst_name, shown);
            if (::linkat(it->second.get(), "", dst_dir, dst_name.c_str(), AT_EMPTY_PATH) == 0)
                return;
        }
    }
    if (S_ISREG(st.st_mode)) {
        // O_NONBLOCK keeps a fifo swapped in by a racing container from blocking us (the fd
        // names one inode, so only a mode change could do that; cheap insurance).
        UniqueFd file = reopen(src_fd, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (!file) throw_errno("open " + shown);
        copy_file(file.get(), st, dst_dir, dst_name, shown);
    } else {
        copy_special(src_fd, st, dst_dir, dst_name, shown);
    }
}

void TreeCopier::copy_special(int src_fd, const struct stat& st, int dst_dir,
                              const std::string& dst_name, const std::string& shown) {
    clear_for_nondir(dst_dir, dst_name, shown);
    if (S_ISLNK(st.st_mode)) {
        std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
        ssize_t n = ::readlinkat(src_fd, "", target.data(), target.size());
        if (n < 0) throw_errno("readlink " + shown);
        if (static_cast<size_t>(n) >= target.size())
            throw Error(shown + " changed while being copied");
        target.resize(static_cast<size_t>(n));
        if (::symlinkat(target.c_str(), dst_dir, dst_name.c_str()) != 0)
            throw_errno("create symlink copy of " + shown);
    } else if (::mknodat(dst_dir, dst_name.c_str(), st.st_mode & (S_IFMT | 0600), st.st_rdev) !=
               0) {
        throw_errno("create copy of special file " + shown);
    }
    // Metadata through an O_PATH fd of exactly what we created: the name looked up again
    // could have been swapped for a symlink by now.
    UniqueFd created(::openat(dst_dir, dst_name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    struct stat now;
    if (!created || ::fstat(created.get(), &now) != 0) throw_errno("open copy of " + shown);
    if ((now.st_mode & S_IFMT) != (st.st_mode & S_IFMT))
        throw Error("the copy of " + shown + " was replaced while being written");
    if (keep_owner_ && ::fchownat(created.get(), "", st.st_uid, st.st_gid,
                                  AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0)
        throw_errno("chown copy of " + shown);
    timespec times[2] = {st.st_atim, st.st_mtim};
    if (!S_ISLNK(st.st_mode)) {
        // chmod and utimensat on the magic link act on the inode the O_PATH fd holds.
        if (::chmod(fd_path(created.get()).c_str(), st.st_mode & 07777) != 0)
            throw_errno("chmod copy of " + shown);
        ::utimensat(AT_FDCWD, fd_path(created.get()).c_str(), times, 0);
    } else {
        ::utimensat(created.get(), "", times, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
    }
    if (st.st_nlink > 1 && links_.size() < kMaxLinkFds)
        links_.emplace(std::make_pair(st.st_dev, st.st_ino), std::move(created));
}

void TreeCopier::copy_contents(int src, int dst, const std::string& shown) {
    UniqueFd dir = reopen(src, O_RDONLY);
    if (!dir) throw_errno("open directory " + shown);
    for (const std::string& name : directory_entries(dir.get(), shown))
        copy(dir.get(), name, dst, name, shown + "/" + name);
}

void TreeCopier::overwrite_file(int src, int dst, const std::string& shown) {
    UniqueFd in = reopen(src, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (!in || ::fstat(in.get(), &st) != 0) throw_errno("open " + shown);
    if (!S_ISREG(st.st_mode)) throw Error("cannot overwrite a file with non-file " + shown);
    if (::ftruncate(dst, 0) != 0) throw_errno("truncate destination of " + shown);
    copy_data(in.get(), dst, shown);
    apply_metadata(in.get(), dst, st, shown);
}

void TreeCopier::copy_dir(int src_fd, const struct stat& st, int dst_dir,
                          const std::string& dst_name, const std::string& shown) {
    struct stat existing;
    if (::fstatat(dst_dir, dst_name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!S_ISDIR(existing.st_mode))
            throw Error("cannot overwrite non-directory " + dst_name + " with directory " + shown);
    } else if (errno != ENOENT) {
        throw_errno("stat destination of " + shown);
    } else if (::mkdirat(dst_dir, dst_name.c_str(), 0700) != 0) {
        throw_errno("create directory copy of " + shown);
    }
    UniqueFd out(
        ::openat(dst_dir, dst_name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!out) throw_errno("open directory copy of " + shown);
    copy_contents(src_fd, out.get(), shown);
    // Last, so the directory's mtime (and a read-only mode) is what the source had.
    apply_metadata(src_fd, out.get(), st, shown);
}

void TreeCopier::copy_file(int src_fd, const struct stat& st, int dst_dir,
                           const std::string& dst_name, const std::string& shown) {
    clear_for_nondir(dst_dir, dst_name, shown);
    UniqueFd out(::openat(dst_dir, dst_name.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) throw_errno("create copy of " + shown);
    copy_data(src_fd, out.get(), shown);
    apply_metadata(src_fd, out.get(), st, shown);
    if (st.st_nlink > 1 && links_.size() < kMaxLinkFds) {
        UniqueFd path_fd(::openat(dst_dir, dst_name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (path_fd) links_.emplace(std::make_pair(st.st_dev, st.st_ino), std::move(path_fd));
    }
}

void TreeCopier::apply_metadata(int src_fd, int dst_fd, const struct stat& st,
                                const std::string& shown) {
    // chown first: it clears setuid/setgid bits, which the chmod then restores.
    if (keep_owner_ && ::fchown(dst_fd, st.st_uid, st.st_gid) != 0)
        throw_errno("chown copy of " + shown);
    if (::fchmod(dst_fd, st.st_mode & 07777) != 0) throw_errno("chmod copy of " + shown);
    copy_xattrs(src_fd, dst_fd, shown);
    timespec times[2] = {st.st_atim, st.st_mtim};
    if (::futimens(dst_fd, times) != 0) throw_errno("set times of copy of " + shown);
}

void remove_tree_at(int dir_fd, const std::string& name) {
    struct stat st;
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return;
        throw_errno("stat " + name);
    }
    if (S_ISDIR(st.st_mode)) {
        UniqueFd fd(
            ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) throw_errno("open " + name);
        for (const std::string& child : directory_entries(fd.get(), name))
            remove_tree_at(fd.get(), child);
        if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
            throw_errno("remove " + name);
    } else if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
        throw_errno("remove " + name);
    }
}

namespace {

uint64_t bytes_below(int dir_fd, const std::string& name, std::set<std::pair<dev_t, ino_t>>& seen) {
    struct stat st;
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return 0;
    if (!seen.insert({st.st_dev, st.st_ino}).second) return 0;
    if (S_ISREG(st.st_mode)) return static_cast<uint64_t>(st.st_size);
    if (!S_ISDIR(st.st_mode)) return 0;
    UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return 0;
    uint64_t total = 0;
    for (const std::string& child : directory_entries(fd.get(), name))
        total += bytes_below(fd.get(), child, seen);
    return total;
}

}  // namespace

uint64_t tree_bytes_at(int dir_fd, const std::string& name) {
    std::set<std::pair<dev_t, ino_t>> seen;
    return bytes_below(dir_fd, name, seen);
}

bool dir_is_empty(int dir_fd) {
    return directory_entries(dir_fd, "directory").empty();
}

}  // namespace berth::engine
