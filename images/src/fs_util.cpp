#include "fs_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "berth/error.h"
#include "berth/fd.h"
#include "berth/images/digest.h"

namespace berth::images {

void make_dirs(const std::string& path, unsigned mode) {
    std::string partial;
    size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        partial = path.substr(0, pos);
        if (partial.empty()) continue;
        if (::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST) throw_errno("mkdir " + partial);
    }
}

void remove_tree_at(int dir_fd, const std::string& name) {
    if (::unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT) return;
    if (errno != EISDIR && errno != EPERM) throw_errno("unlink " + name);
    UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) throw_errno("open " + name + " for removal");
    std::vector<std::string> children;
    {
        DIR* dir = ::fdopendir(::dup(fd.get()));
        if (!dir) throw_errno("opendir " + name);
        while (dirent* e = ::readdir(dir)) {
            std::string child = e->d_name;
            if (child != "." && child != "..") children.push_back(child);
        }
        ::closedir(dir);
    }
    for (const std::string& child : children) remove_tree_at(fd.get(), child);
    if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
        throw_errno("rmdir " + name);
}

void remove_tree(const std::string& path) {
    remove_tree_at(AT_FDCWD, path);
}

void write_all_fd(int fd, const void* data, size_t size, const std::string& what) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd, p, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("write " + what);
        }
        p += n;
        size -= static_cast<size_t>(n);
    }
}

void pwrite_all_fd(int fd, const void* data, size_t size, int64_t offset, const std::string& what) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::pwrite(fd, p, size, offset);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("write " + what);
        }
        p += n;
        offset += n;
        size -= static_cast<size_t>(n);
    }
}

uint64_t copy_hashing(int in, int out, Sha256& hash, const std::string& what) {
    std::vector<char> buf(1 << 16);
    uint64_t total = 0;
    for (;;) {
        ssize_t n = ::read(in, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("read " + what);
        }
        if (n == 0) return total;
        hash.update(buf.data(), static_cast<size_t>(n));
        if (out >= 0) write_all_fd(out, buf.data(), static_cast<size_t>(n), what);
        total += static_cast<uint64_t>(n);
    }
}

}  // namespace berth::images
