// Streams a layer through two libarchive readers: the outer one only decompresses (format
// "raw", every filter), so the exact tar bytes can be hashed into the DiffID; the inner one
// parses those bytes as tar. One pass, no temp copy of the decompressed layer.
#include "berth/images/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "archive_message.h"
#include "berth/error.h"
#include "berth/fd.h"
#include "fs_util.h"
#include "unpack_paths.h"

namespace berth::images {
namespace {

struct ArchiveDeleter {
    void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;

// State shared with the inner reader's callback.
struct Stream {
    archive* outer = nullptr;
    Sha256 hash;
    uint64_t total = 0;
    uint64_t limit = 0;
    bool bomb = false;
    bool at_eof = false;
    std::vector<char> buf = std::vector<char>(1 << 16);
};

la_ssize_t read_decompressed(archive* inner, void* client, const void** out) {
    auto* s = static_cast<Stream*>(client);
    if (s->at_eof) return 0;
    la_ssize_t n = archive_read_data(s->outer, s->buf.data(), s->buf.size());
    if (n < 0) {
        archive_set_error(inner, EIO, "%s", archive_message(s->outer).c_str());
        return -1;
    }
    if (n == 0) s->at_eof = true;
    s->total += static_cast<uint64_t>(n);
    if (s->total > s->limit) {
        s->bomb = true;
        // libarchive's own formatter knows %s and %d, not %llu.
        std::string message =
            "more than " + std::to_string(s->limit) + " decompressed bytes (decompression bomb?)";
        archive_set_error(inner, EIO, "%s", message.c_str());
        return -1;
    }
    s->hash.update(s->buf.data(), static_cast<size_t>(n));
    *out = s->buf.data();
    return n;
}

struct DirTime {
    std::vector<std::string> comps;
    timespec mtime;
};

class Extractor {
  public:
    Extractor(int root_fd, std::string what, archive* in, uint64_t limit)
        : root_(root_fd), what_(std::move(what)), in_(in), limit_(limit) {}

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

    int root_;
    std::string what_;
    archive* in_;
    uint64_t limit_;
    uint64_t file_bytes_ = 0;
    std::vector<DirTime> dirs_;
    std::string where_ = what_;
};

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
    remove_tree_at(parent, hidden);
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
    UniqueFd fd(
        ::openat(parent, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) throw_errno(where + ": create");
    int64_t declared = archive_entry_size(e);
    if (declared < 0 || static_cast<uint64_t>(declared) > limit_)
        throw Error(where + ": size " + std::to_string(declared) + " exceeds the layer limit of " +
                    std::to_string(limit_) + " bytes (decompression bomb?)");
    const void* block;
    size_t size;
    la_int64_t offset;
    int r;
    while ((r = archive_read_data_block(in_, &block, &size, &offset)) == ARCHIVE_OK) {
        if (offset < 0 || static_cast<uint64_t>(offset) + size > static_cast<uint64_t>(declared))
            throw Error(where + ": data beyond the entry's size");
        if (::lseek(fd.get(), offset, SEEK_SET) < 0) throw_errno(where + ": seek");
        write_all_fd(fd.get(), block, size, where);
    }
    if (r != ARCHIVE_EOF) throw Error(where + ": read: " + archive_message(in_));
    // Sparse tails: the size is the declared one even if the last block was a hole.
    if (::ftruncate(fd.get(), declared) != 0) throw_errno(where + ": truncate");
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
    UniqueFd parent = open_dirs(root_, comps, comps.size() - 1, true, where);
    if (base.rfind(".wh.", 0) == 0) {
        whiteout(parent.get(), base, mtime, where);
        return;
    }
    struct stat old;
    if (::fstatat(parent.get(), base.c_str(), &old, AT_SYMLINK_NOFOLLOW) == 0 &&
        !(S_ISDIR(old.st_mode) && type == AE_IFDIR && !hardlink))
        remove_tree_at(parent.get(), base);

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
        if (::linkat(tparent.get(), target.back().c_str(), parent.get(), base.c_str(), 0) != 0) {
            if (errno == ENOENT) throw Error(twhere + ": not an earlier entry of this layer");
            throw_errno(twhere);
        }
        return;
    }
    switch (type) {
        case AE_IFREG:
            regular(parent.get(), base, e, where);
            return;
        case AE_IFDIR: {
            if (::mkdirat(parent.get(), base.c_str(), 0700) != 0 && errno != EEXIST)
                throw_errno(where + ": mkdir");
            UniqueFd dir = open_dirs(parent.get(), {base}, 1, false, where);
            owner_mode(parent.get(), base, e, false, where);
            xattrs(dir.get(), e, where);
            dirs_.push_back({comps, mtime});  // children change it: set at the end
            return;
        }
        case AE_IFLNK: {
            const char* target = archive_entry_symlink(e);
            // Kept verbatim: it is only ever resolved later, inside the container's root.
            if (!target || ::symlinkat(target, parent.get(), base.c_str()) != 0)
                throw_errno(where + ": symlink");
            owner_mode(parent.get(), base, e, true, where);
            break;
        }
        case AE_IFCHR:
        case AE_IFBLK:
            // A device node belongs in /dev; anywhere else it is a way to hand a container
            // (or whoever can reach the layer) a host device under an innocent name.
            if (comps.front() != "dev") throw Error(where + ": device node outside /dev refused");
            [[fallthrough]];
        case AE_IFIFO:
            if (::mknodat(parent.get(), base.c_str(), type | (archive_entry_perm(e) & 07777),
                          archive_entry_rdev(e)) != 0)
                throw_errno(where + ": mknod");
            owner_mode(parent.get(), base, e, false, where);
            break;
        default:
            throw Error(where + ": unsupported entry type " + std::to_string(type));
    }
    timespec times[2] = {mtime, mtime};
    if (::utimensat(parent.get(), base.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
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
    ArchivePtr outer(archive_read_new());
    ArchivePtr inner(archive_read_new());
    if (!outer || !inner) throw Error(what + ": libarchive allocation failed");
    archive_read_support_filter_all(outer.get());
    archive_read_support_format_raw(outer.get());
    archive_read_support_format_tar(inner.get());

    Stream stream;
    stream.outer = outer.get();
    stream.limit = options.max_bytes;
    if (archive_read_open_fd(outer.get(), layer_fd, 1 << 16) != ARCHIVE_OK)
        throw Error(what + ": " + archive_message(outer.get()));
    archive_entry* raw_entry;
    int r = archive_read_next_header(outer.get(), &raw_entry);
    if (r == ARCHIVE_EOF) throw Error(what + ": empty layer blob");
    if (r != ARCHIVE_OK) throw Error(what + ": " + archive_message(outer.get()));

    if (archive_read_open(inner.get(), &stream, nullptr, read_decompressed, nullptr) != ARCHIVE_OK)
        throw Error(what + ": not a tar: " + archive_message(inner.get()));
    Extractor extractor(dest_dir_fd, what, inner.get(), options.max_bytes);
    archive_entry* e;
    while ((r = archive_read_next_header(inner.get(), &e)) == ARCHIVE_OK) extractor.entry(e);
    if (r != ARCHIVE_EOF) {
        // Names the last entry read: the one the stream broke in, or the one before it.
        if (stream.bomb) throw Error(extractor.where() + ": " + archive_message(inner.get()));
        throw Error(what + ": " + archive_message(inner.get()));
    }
    extractor.finish_dirs();
    // The tar's end-of-archive blocks and padding are part of the DiffID: hash them too.
    const void* out;
    la_ssize_t n;
    while ((n = read_decompressed(inner.get(), &stream, &out)) > 0) {
    }
    if (n < 0) throw Error(what + ": " + archive_message(inner.get()));
    return {stream.hash.finish(), extractor.file_bytes()};
}

}  // namespace berth::images
