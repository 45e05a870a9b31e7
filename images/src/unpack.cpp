// Streams a layer through two libarchive readers: the outer one only decompresses (format
// "raw", every filter) on its own thread, so the exact tar bytes can be hashed into the
// DiffID (unpack_stream.h); the inner one parses those bytes as tar here. One pass, no temp
// copy of the decompressed layer. Per entry only the syscalls the result needs: parent dirs
// stay open between entries, a name is created first and only replaced if it exists.
#include "berth/images/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "archive_message.h"
#include "berth/error.h"
#include "berth/fd.h"
#include "fs_util.h"
#include "unpack_paths.h"
#include "unpack_stream.h"

namespace berth::images {
namespace {

struct ArchiveDeleter {
    void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;

struct DirTime {
    std::vector<std::string> comps;
    timespec mtime;
};

class Extractor {
  public:
    Extractor(int root_fd, std::string what, archive* in, uint64_t limit)
        : root_(root_fd), what_(std::move(what)), in_(in), limit_(limit), parents_(root_fd) {}

    void entry(archive_entry* e);
    void finish_dirs();
    uint64_t file_bytes() const { return file_bytes_; }
    // "layer x: entry y" of the entry being read (or the layer alone before the first).
    const std::string& where() const { return where_; }

  private:
    void whiteout(int parent, const std::string& base, const timespec& mtime,
                  const std::string& where);
    void regular(int parent, const std::string& base, archive_entry* e, const std::string& where);
    void xattrs(int fd, archive_entry* e, const std::string& where);
    void owner_mode(int parent, const std::string& base, archive_entry* e, bool is_link,
                    const std::string& where);
    void remove(int parent, const std::string& base) { remove_tree_at(parent, base); }
    // Runs create() (0 or -1 + errno, like the syscall it wraps); if the name is taken by an
    // earlier entry, removes that and tries once more. Throws naming `op` otherwise.
    template <class Create>
    void create_replacing(int parent, const std::string& base, const std::string& where,
                          const char* op, Create create);

    int root_;
    std::string what_;
    archive* in_;
    uint64_t limit_;
    uint64_t file_bytes_ = 0;
    std::vector<DirTime> dirs_;
    std::string where_ = what_;
    ParentDirs parents_;
};

template <class Create>
void Extractor::create_replacing(int parent, const std::string& base, const std::string& where,
                                 const char* op, Create create) {
    if (create() == 0) return;
    if (errno != EEXIST) throw_errno(where + ": " + op);
    remove(parent, base);
    if (create() != 0) throw_errno(where + ": " + op);
}

void Extractor::whiteout(int parent, const std::string& base, const timespec& mtime,
                         const std::string& where) {
    if (base == ".wh..wh..opq") {
        if (::fsetxattr(parent, "trusted.overlay.opaque", "y", 1, 0) != 0)
            throw_errno(where + ": set opaque xattr");
        return;
    }
    std::string hidden = base.substr(4);
    if (hidden.empty() || hidden == "." || hidden == "..")
        throw Error(where + ": whiteout of \"" + hidden + "\" is invalid");
    remove(parent, hidden);
    if (::mknodat(parent, hidden.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0)
        throw_errno(where + ": create whiteout device");
    timespec times[2] = {mtime, mtime};  // reproducible trees, whiteouts included
    if (::utimensat(parent, hidden.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
        throw_errno(where + ": set mtime");
}

void Extractor::xattrs(int fd, archive_entry* e, const std::string& where) {
    archive_entry_xattr_reset(e);
    const char* name;
    const void* value;
    size_t size;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        std::string n = name;
        if (n.rfind("trusted.overlay.", 0) == 0)
            throw Error(where + ": xattr " + n + " would steer overlayfs; refused");
        if (::fsetxattr(fd, name, value, size, 0) != 0) throw_errno(where + ": set xattr " + n);
    }
}

void Extractor::owner_mode(int parent, const std::string& base, archive_entry* e, bool is_link,
                           const std::string& where) {
    // Owner first: chown clears setuid/setgid bits, chmod afterwards restores them.
    auto uid = static_cast<uid_t>(archive_entry_uid(e));
    auto gid = static_cast<gid_t>(archive_entry_gid(e));
    if (::fchownat(parent, base.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
        throw_errno(where + ": chown");
    if (!is_link && ::fchmodat(parent, base.c_str(), archive_entry_perm(e) & 07777, 0) != 0)
        throw_errno(where + ": chmod");
}

void Extractor::regular(int parent, const std::string& base, archive_entry* e,
                        const std::string& where) {
    int64_t declared = archive_entry_size(e);
    if (declared < 0 || static_cast<uint64_t>(declared) > limit_)
        throw Error(where + ": size " + std::to_string(declared) + " exceeds the layer limit of " +
                    std::to_string(limit_) + " bytes (decompression bomb?)");
    UniqueFd fd;
    create_replacing(parent, base, where, "create", [&] {
        fd.reset(::openat(parent, base.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        return fd ? 0 : -1;
    });
    const void* block;
    size_t size;
    la_int64_t offset;
    int r;
    uint64_t end = 0;
    while ((r = archive_read_data_block(in_, &block, &size, &offset)) == ARCHIVE_OK) {
        if (offset < 0 || static_cast<uint64_t>(offset) + size > static_cast<uint64_t>(declared))
            throw Error(where + ": data beyond the entry's size");
        pwrite_all_fd(fd.get(), block, size, offset, where);
        end = std::max(end, static_cast<uint64_t>(offset) + size);
    }
    if (r != ARCHIVE_EOF) throw Error(where + ": read: " + archive_message(in_));
    // Sparse tails: the size is the declared one even if the last block was a hole.
    if (end != static_cast<uint64_t>(declared) && ::ftruncate(fd.get(), declared) != 0)
        throw_errno(where + ": truncate");
    file_bytes_ += static_cast<uint64_t>(declared);
    auto uid = static_cast<uid_t>(archive_entry_uid(e));
    auto gid = static_cast<gid_t>(archive_entry_gid(e));
    if (::fchown(fd.get(), uid, gid) != 0) throw_errno(where + ": chown");
    if (::fchmod(fd.get(), archive_entry_perm(e) & 07777) != 0) throw_errno(where + ": chmod");
    xattrs(fd.get(), e, where);
    timespec times[2] = {{archive_entry_mtime(e), archive_entry_mtime_nsec(e)},
                         {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
    if (::futimens(fd.get(), times) != 0) throw_errno(where + ": set mtime");
}

void Extractor::entry(archive_entry* e) {
    const char* raw = archive_entry_pathname(e);
    std::string name = raw ? raw : "";
    std::string where = what_ + ": entry " + name;
    where_ = where;
    std::vector<std::string> comps = clean_entry_path(name, where);
    const char* hardlink = archive_entry_hardlink(e);
    mode_t type = archive_entry_filetype(e);
    timespec mtime = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};

    if (comps.empty()) {  // "./": the layer root itself
        if (type != AE_IFDIR || hardlink) throw Error(where + ": the layer root must be a dir");
        owner_mode(root_, ".", e, false, where);
        xattrs(root_, e, where);
        dirs_.push_back({comps, mtime});
        return;
    }
    const std::string& base = comps.back();
    const int parent = parents_.open(comps, comps.size() - 1, where);
    if (base.rfind(".wh.", 0) == 0) {
        whiteout(parent, base, mtime, where);
        return;
    }

    if (hardlink) {
        std::string twhere = where + ": hardlink target " + hardlink;
        std::vector<std::string> target = clean_entry_path(hardlink, twhere);
        if (target.empty()) throw Error(twhere + ": not a file");
        UniqueFd tparent;
        try {
            tparent = open_dirs(root_, target, target.size() - 1, false, twhere);
        } catch (const Error& e) {
            if (e.errno_value() == ENOENT)
                throw Error(twhere + ": not an earlier entry of this layer", ENOENT);
            throw;
        }
        auto link = [&] {
            return ::linkat(tparent.get(), target.back().c_str(), parent, base.c_str(), 0);
        };
        int rc = link();
        if (rc != 0 && errno == EEXIST) {
            remove(parent, base);
            // The removal may have taken the target's directory with it: open it again.
            tparent = open_dirs(root_, target, target.size() - 1, false, twhere);
            rc = link();
        }
        if (rc != 0 && errno == ENOENT)
            throw Error(twhere + ": not an earlier entry of this layer");
        if (rc != 0) throw_errno(twhere);
        return;
    }
    switch (type) {
        case AE_IFREG:
            regular(parent, base, e, where);
            return;
        case AE_IFDIR: {
            if (::mkdirat(parent, base.c_str(), 0700) != 0) {
                struct stat old;  // an earlier directory stays (and gets this entry's metadata)
                if (errno != EEXIST ||
                    ::fstatat(parent, base.c_str(), &old, AT_SYMLINK_NOFOLLOW) != 0)
                    throw_errno(where + ": mkdir");
                if (!S_ISDIR(old.st_mode))
                    create_replacing(parent, base, where, "mkdir",
                                     [&] { return ::mkdirat(parent, base.c_str(), 0700); });
            }
            owner_mode(parent, base, e, false, where);
            if (archive_entry_xattr_count(e) > 0) {
                UniqueFd dir = open_dirs(parent, {base}, 1, false, where);
                xattrs(dir.get(), e, where);
            }
            dirs_.push_back({comps, mtime});  // children change it: set at the end
            return;
        }
        case AE_IFLNK: {
            const char* target = archive_entry_symlink(e);
            // Kept verbatim: it is only ever resolved later, inside the container's root.
            if (!target) throw Error(where + ": symlink without a target");
            create_replacing(parent, base, where, "symlink",
                             [&] { return ::symlinkat(target, parent, base.c_str()); });
            owner_mode(parent, base, e, true, where);
            break;
        }
        case AE_IFCHR:
        case AE_IFBLK:
            // A device node belongs in /dev; anywhere else it is a way to hand a container
            // (or whoever can reach the layer) a host device under an innocent name.
            if (comps.front() != "dev") throw Error(where + ": device node outside /dev refused");
            [[fallthrough]];
        case AE_IFIFO:
            create_replacing(parent, base, where, "mknod", [&] {
                return ::mknodat(parent, base.c_str(), type | (archive_entry_perm(e) & 07777),
                                 archive_entry_rdev(e));
            });
            owner_mode(parent, base, e, false, where);
            break;
        default:
            throw Error(where + ": unsupported entry type " + std::to_string(type));
    }
    timespec times[2] = {mtime, mtime};
    if (::utimensat(parent, base.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
        throw_errno(where + ": set mtime");
}

void Extractor::finish_dirs() {
    // Deepest last-written first does not matter: setting a dir's mtime does not touch its
    // parent's, so order is free; a dir replaced later in the layer is simply skipped.
    for (const DirTime& d : dirs_) {
        UniqueFd dir;
        try {
            dir = open_dirs(root_, d.comps, d.comps.size(), false, what_);
        } catch (const Error&) {
            continue;
        }
        timespec times[2] = {d.mtime, d.mtime};
        if (::futimens(dir.get(), times) != 0)
            throw_errno(what_ + ": set mtime of " + join_path(d.comps));
    }
}

}  // namespace

UnpackResult unpack_layer(int layer_fd, int dest_dir_fd, const std::string& what,
                          const UnpackOptions& options) {
    DecompressedStream stream(layer_fd, options.max_bytes, what);
    ArchivePtr inner(archive_read_new());
    if (!inner) throw Error(what + ": libarchive allocation failed");
    archive_read_support_format_tar(inner.get());
    if (archive_read_open(inner.get(), &stream, nullptr, DecompressedStream::read, nullptr) !=
        ARCHIVE_OK)
        throw Error(what + ": not a tar: " + archive_message(inner.get()));
    Extractor extractor(dest_dir_fd, what, inner.get(), options.max_bytes);
    archive_entry* e;
    int r;
    while ((r = archive_read_next_header(inner.get(), &e)) == ARCHIVE_OK) extractor.entry(e);
    // Names the last entry read: the one the stream broke in, or the one before it.
    if (r != ARCHIVE_EOF) throw Error(extractor.where() + ": " + archive_message(inner.get()));
    extractor.finish_dirs();
    // The tar's end-of-archive blocks and padding are part of the DiffID: hashed too.
    return {stream.finish(), extractor.file_bytes()};
}

}  // namespace berth::images
