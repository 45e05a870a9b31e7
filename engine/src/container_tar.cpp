// `berth cp` with "-": a container path as a tar stream, and a tar stream into a container
// directory (docker cp's two stream forms, for `berth cp web:/etc - | tar -t` and
// `tar -c . | berth cp - web:/srv`).
//
// Reading walks the container's tree fd-relative with O_NOFOLLOW below the entry resolved in
// its root (container_copy.h), so nothing outside the container is ever read. Writing treats
// the stream as untrusted: every name is split into components, ".." and absolute names are
// refused, and each parent directory is opened with O_NOFOLLOW beneath the destination (the
// same berth/images/entry_paths.h walk as image layers get), so neither a symlink in
// the stream ("l -> /etc", then "l/passwd") nor one already in the container can steer a write
// outside the destination directory. Hard links must name an earlier path inside it too.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <memory>
#include <vector>

#include "berth/engine/container_copy.h"
#include "berth/error.h"
#include "berth/images/entry_paths.h"
#include "scoped_path.h"
#include "tree_copy.h"

namespace berth::engine {
namespace {

struct ArchiveDeleter {
    void operator()(archive* a) const { archive_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;
struct EntryDeleter {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};

std::string archive_problem(archive* a) {
    const char* text = archive_error_string(a);
    return text ? text : "unknown libarchive error";
}

// ---- container -> stream

class TarWriter {
  public:
    explicit TarWriter(int out_fd) : archive_(archive_write_new()) {
        if (!archive_ || archive_write_set_format_pax_restricted(archive_.get()) != ARCHIVE_OK ||
            archive_write_open_fd(archive_.get(), out_fd) != ARCHIVE_OK)
            throw Error("cp: cannot start the tar stream: " + archive_problem(archive_.get()));
    }

    // Adds the entry that the O_PATH fd names (a directory with everything below it).
    void add(int fd, const std::string& name, const std::string& shown) {
        struct stat st;
        if (::fstat(fd, &st) != 0) throw_errno("stat " + shown);
        std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
        archive_entry_copy_stat(entry.get(), &st);
        archive_entry_set_pathname(entry.get(), name.c_str());
        bool data = S_ISREG(st.st_mode);
        if (S_ISLNK(st.st_mode)) {
            std::vector<char> target(PATH_MAX + 1);
            ssize_t n = ::readlinkat(fd, "", target.data(), target.size() - 1);
            if (n < 0) throw_errno("read link " + shown);
            archive_entry_set_symlink(entry.get(), std::string(target.data(), n).c_str());
        } else if (data && st.st_nlink > 1) {
            auto [it, first] = links_.emplace(std::make_pair(st.st_dev, st.st_ino), name);
            if (!first) {
                archive_entry_set_hardlink(entry.get(), it->second.c_str());
                archive_entry_set_size(entry.get(), 0);
                data = false;
            }
        }
        if (archive_write_header(archive_.get(), entry.get()) != ARCHIVE_OK)
            throw Error("cp: tar entry " + name + ": " + archive_problem(archive_.get()));
        if (data) write_data(fd, shown);
        if (S_ISDIR(st.st_mode)) {
            UniqueFd dir = reopen(fd, O_RDONLY);
            if (!dir) throw_errno("open " + shown);
            for (const std::string& child : directory_entries(dir.get(), shown)) {
                UniqueFd child_fd(
                    ::openat(dir.get(), child.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
                if (!child_fd) throw_errno("open " + shown + "/" + child);
                add(child_fd.get(), name.empty() ? child : name + "/" + child, shown + "/" + child);
            }
        }
    }

    void finish() {
        if (archive_write_close(archive_.get()) != ARCHIVE_OK)
            throw Error("cp: finishing the tar stream: " + archive_problem(archive_.get()));
    }

  private:
    void write_data(int fd, const std::string& shown) {
        UniqueFd file = reopen(fd, O_RDONLY);
        if (!file) throw_errno("open " + shown);
        std::vector<char> buffer(1 << 17);
        for (;;) {
            ssize_t n = ::read(file.get(), buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw_errno("read " + shown);
            if (n == 0) return;
            if (archive_write_data(archive_.get(), buffer.data(), static_cast<size_t>(n)) < 0)
                throw Error("cp: writing " + shown +
                            " to the stream: " + archive_problem(archive_.get()));
        }
    }

    ArchivePtr archive_;
    std::map<std::pair<dev_t, ino_t>, std::string> links_;  // first name of each linked inode
};

// ---- stream -> container

class TarExtractor {
  public:
    TarExtractor(int dest_fd, std::string shown, bool keep_owner)
        : dest_fd_(dest_fd), shown_(std::move(shown)), keep_owner_(keep_owner) {}

    void run(int in_fd) {
        ArchivePtr a(archive_read_new());
        archive_read_support_format_tar(a.get());
        archive_read_support_format_gnutar(a.get());
        archive_read_support_filter_all(a.get());
        if (archive_read_open_fd(a.get(), in_fd, 1 << 16) != ARCHIVE_OK)
            throw Error("cp: reading the tar stream: " + archive_problem(a.get()));
        for (;;) {
            archive_entry* entry = nullptr;
            int r = archive_read_next_header(a.get(), &entry);
            if (r == ARCHIVE_EOF) return;
            if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
                throw Error("cp: reading the tar stream: " + archive_problem(a.get()));
            extract(a.get(), entry);
        }
    }

  private:
    // The directory that holds `parts`' last component, walked (and created when `create`)
    // one O_NOFOLLOW component at a time beneath the destination, as layers are unpacked.
    UniqueFd parent_of(const std::vector<std::string>& parts, const std::string& name,
                       bool create) {
        return images::open_dirs(dest_fd_, parts, parts.size() - 1, create,
                                 "cp: tar entry " + name);
    }

    // Makes room for a new non-directory at dir/last: an existing one is replaced, a
    // directory is not.
    void clear_slot(int dir, const std::string& last, const std::string& name) {
        struct stat st;
        if (::fstatat(dir, last.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
        if (S_ISDIR(st.st_mode))
            throw Error("cp: tar entry " + name + ": cannot replace the directory " + at(name));
        if (::unlinkat(dir, last.c_str(), 0) != 0) throw_errno("cp: replace " + at(name));
    }

    void extract(archive* a, archive_entry* entry) {
        const std::string name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
        std::vector<std::string> parts = images::clean_entry_path(name, "cp: tar entry " + name);
        if (parts.empty()) return;  // "./": the destination itself
        UniqueFd dir = parent_of(parts, name, true);
        const std::string& last = parts.back();
        const mode_t mode = archive_entry_perm(entry);
        const uid_t uid = static_cast<uid_t>(archive_entry_uid(entry));
        const gid_t gid = static_cast<gid_t>(archive_entry_gid(entry));

        if (const char* target = archive_entry_hardlink(entry)) {
            std::vector<std::string> target_parts =
                images::clean_entry_path(target, "cp: tar entry " + name + ": link target");
            if (target_parts.empty()) throw Error("cp: tar entry " + name + ": bad link target");
            UniqueFd target_dir = parent_of(target_parts, target, false);
            clear_slot(dir.get(), last, name);
            if (::linkat(target_dir.get(), target_parts.back().c_str(), dir.get(), last.c_str(),
                         0) != 0)
                throw_errno("cp: link " + at(name) + " to " + target);
            return;
        }
        switch (archive_entry_filetype(entry)) {
            case AE_IFDIR: {
                if (::mkdirat(dir.get(), last.c_str(), 0700) != 0 && errno != EEXIST)
                    throw_errno("cp: create " + at(name));
                UniqueFd made(::openat(dir.get(), last.c_str(),
                                       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
                if (!made)
                    throw Error("cp: tar entry " + name + ": " + at(name) +
                                " exists and is not a directory");
                set_owner_and_mode(made.get(), uid, gid, mode, name);
                return;
            }
            case AE_IFREG: {
                clear_slot(dir.get(), last, name);
                UniqueFd file(::openat(dir.get(), last.c_str(),
                                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
                if (!file) throw_errno("cp: create " + at(name));
                write_data(a, file.get(), name);
                set_owner_and_mode(file.get(), uid, gid, mode, name);
                const timespec mtime = {archive_entry_mtime(entry),
                                        archive_entry_mtime_nsec(entry)};
                const timespec times[2] = {mtime, mtime};
                ::futimens(file.get(), times);  // best effort, like tar without -p errors
                return;
            }
            case AE_IFLNK: {
                const char* target = archive_entry_symlink(entry);
                clear_slot(dir.get(), last, name);
                if (::symlinkat(target ? target : "", dir.get(), last.c_str()) != 0)
                    throw_errno("cp: create link " + at(name));
                if (keep_owner_) ::fchownat(dir.get(), last.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
                return;
            }
            case AE_IFIFO: {
                clear_slot(dir.get(), last, name);
                if (::mknodat(dir.get(), last.c_str(), S_IFIFO | 0600, 0) != 0)
                    throw_errno("cp: create fifo " + at(name));
                UniqueFd fifo(::openat(dir.get(), last.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
                if (fifo) set_owner_and_mode(reopen_path(fifo.get()), uid, gid, mode, name);
                return;
            }
            default:
                throw Error("cp: tar entry " + name +
                            ": devices and sockets are not copied into containers");
        }
    }

    // An O_PATH fd cannot fchmod/fchown; the /proc/self/fd path of the same inode can.
    static std::string reopen_path(int path_fd) {
        return "/proc/self/fd/" + std::to_string(path_fd);
    }

    void set_owner_and_mode(const std::string& proc_path, uid_t uid, gid_t gid, mode_t mode,
                            const std::string& name) {
        if (keep_owner_ && ::chown(proc_path.c_str(), uid, gid) != 0)
            throw_errno("cp: chown " + at(name));
        if (::chmod(proc_path.c_str(), mode) != 0) throw_errno("cp: chmod " + at(name));
    }

    void set_owner_and_mode(int fd, uid_t uid, gid_t gid, mode_t mode, const std::string& name) {
        // chown first: it clears setuid/setgid, which the chmod then sets as the stream says.
        if (keep_owner_ && ::fchown(fd, uid, gid) != 0) throw_errno("cp: chown " + at(name));
        if (::fchmod(fd, mode) != 0) throw_errno("cp: chmod " + at(name));
    }

    void write_data(archive* a, int fd, const std::string& name) {
        const void* block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        for (;;) {
            int r = archive_read_data_block(a, &block, &size, &offset);
            if (r == ARCHIVE_EOF) break;
            if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
                throw Error("cp: tar entry " + name + ": " + archive_problem(a));
            const char* p = static_cast<const char*>(block);
            while (size > 0) {
                ssize_t n = ::pwrite(fd, p, size, offset);
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) throw_errno("cp: write " + at(name));
                p += n;
                size -= static_cast<size_t>(n);
                offset += n;
            }
        }
        // A sparse file's trailing hole: the size the stream says.
        struct stat st;
        if (::fstat(fd, &st) == 0 && st.st_size < offset) (void)::ftruncate(fd, offset);
    }

    std::string at(const std::string& name) const { return shown_ + "/" + name; }

    int dest_fd_;
    std::string shown_;
    bool keep_owner_;
};

std::string without_trailing_slashes(const std::string& path) {
    size_t end = path.size();
    while (end > 1 && path[end - 1] == '/') --end;
    return path.substr(0, end);
}

}  // namespace

void archive_from_container(const ContainerFilesystem& container, const std::string& container_path,
                            int out_fd, const CopyOptions& options) {
    with_container_root(container, [&](int root_fd) {
        PathScope scope = PathScope::rooted(root_fd, container.label);
        const bool contents = container_path == "." || container_path.ends_with("/.");
        const bool slash = contents || container_path.ends_with("/");
        std::string clean =
            contents ? container_path.substr(0, container_path.size() - 1) : container_path;
        clean = without_trailing_slashes(clean.empty() ? "/" : clean);
        int err = 0;
        UniqueFd src = scope.try_open(clean, O_PATH, options.follow_link || slash, err);
        if (!src) throw Error("no such file or directory: " + scope.describe(container_path));
        std::string base = split_last(clean).second;
        // Docker's names: the entry is called after the path's last component ("passwd",
        // "etc/..."); "PATH/." and "/" give the directory's content at the top.
        if (contents || clean == "/" || base == ".") base.clear();
        TarWriter writer(out_fd);
        if (base.empty()) {
            struct stat st;
            if (::fstat(src.get(), &st) != 0 || !S_ISDIR(st.st_mode))
                throw Error(scope.describe(container_path) + " is not a directory");
            UniqueFd dir = reopen(src.get(), O_RDONLY);
            if (!dir) throw_errno("open " + scope.describe(container_path));
            for (const std::string& child : directory_entries(dir.get(), clean)) {
                UniqueFd child_fd(
                    ::openat(dir.get(), child.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
                if (!child_fd) throw_errno("open " + scope.describe(clean + "/" + child));
                writer.add(child_fd.get(), child, scope.describe(clean + "/" + child));
            }
        } else {
            writer.add(src.get(), base, scope.describe(clean));
        }
        writer.finish();
    });
}

void extract_to_container(const ContainerFilesystem& container, int in_fd,
                          const std::string& container_dir, const CopyOptions& options) {
    with_container_root(container, [&](int root_fd) {
        PathScope scope = PathScope::rooted(root_fd, container.label);
        int err = 0;
        UniqueFd dest = scope.try_open(without_trailing_slashes(container_dir),
                                       O_RDONLY | O_DIRECTORY, true, err);
        if (!dest)
            throw Error("destination " + scope.describe(container_dir) +
                        (err == ENOTDIR ? " is not a directory" : " does not exist"));
        TarExtractor(dest.get(), scope.describe(without_trailing_slashes(container_dir)),
                     options.keep_owner)
            .run(in_fd);
    });
}

}  // namespace berth::engine
