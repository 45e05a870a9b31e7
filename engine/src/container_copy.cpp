// docker cp's path rules between two path scopes (host and container root):
//   SRC file: DEST missing -> created as that file (its parent must exist; "DEST/" must exist);
//             DEST a file -> overwritten; DEST a directory -> DEST/basename(SRC).
//   SRC dir:  DEST missing -> created with SRC's content; DEST a file -> error;
//             DEST a directory -> DEST/basename(SRC), or SRC's content when SRC ends in "/.".
//   A symlink as SRC is copied as a link unless -L (or SRC ends in "/"); DEST is followed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "berth/engine/container_copy.h"
#include "berth/error.h"
#include "scoped_path.h"
#include "tree_copy.h"

namespace berth::engine {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The path without trailing "/" and "/." ("/" stays "/").
std::string strip_trailing(const std::string& path) {
    size_t end = path.size();
    for (;;) {
        if (end > 1 && path[end - 1] == '/') {
            --end;
        } else if (end >= 2 && path[end - 1] == '.' && path[end - 2] == '/') {
            end -= 2;
        } else {
            break;
        }
    }
    return end == 0 ? "/" : path.substr(0, end);
}

void copy_between(const PathScope& from, const std::string& src_path, const PathScope& to,
                  const std::string& dst_path, const CopyOptions& options) {
    if (src_path.empty() || dst_path.empty()) throw Error("cp: empty path");
    const bool src_contents = ends_with(src_path, "/.") || src_path == ".";
    const bool src_slash = src_contents || ends_with(src_path, "/");
    const bool dst_slash = ends_with(dst_path, "/") || ends_with(dst_path, "/.");
    const std::string src_clean = strip_trailing(src_path);
    const std::string shown = from.describe(src_path);

    // The source entry itself (its parents resolved in scope; the last component followed
    // only with -L or when the path says it must be a directory).
    int err = 0;
    UniqueFd src = from.try_open(src_clean, O_PATH, options.follow_link || src_slash, err);
    if (!src) throw Error("no such file or directory: " + shown);
    struct stat src_st;
    if (::fstat(src.get(), &src_st) != 0) throw_errno("stat " + shown);
    const bool src_dir = S_ISDIR(src_st.st_mode);
    if (src_slash && !src_dir) throw Error(shown + " is not a directory");
    std::string src_base = split_last(src_clean).second;
    if (src_base == "." || src_clean == "/") src_base = "";  // the root: its content is copied

    TreeCopier copier(options.keep_owner);
    UniqueFd dst = to.try_open(strip_trailing(dst_path), O_PATH, true, err);
    if (err == ENOTDIR) throw Error(to.describe(dst_path) + ": a parent is not a directory");
    if (dst) {
        struct stat dst_st;
        if (::fstat(dst.get(), &dst_st) != 0) throw_errno("stat " + to.describe(dst_path));
        if (S_ISDIR(dst_st.st_mode)) {
            UniqueFd dir = reopen(dst.get(), O_RDONLY);
            if (!dir) throw_errno("open " + to.describe(dst_path));
            if (src_dir && (src_contents || src_base.empty()))
                copier.copy_contents(src.get(), dir.get(), shown);
            else
                copier.copy_entry(src.get(), dir.get(), src_base, shown);
            return;
        }
        if (src_dir)
            throw Error("cannot copy directory " + shown + " to file " + to.describe(dst_path));
        if (dst_slash) throw Error(to.describe(dst_path) + " is not a directory");
        if (S_ISREG(dst_st.st_mode) && S_ISREG(src_st.st_mode)) {
            // Rewritten in place: a link to it (inside the scope) keeps pointing at it.
            UniqueFd out = to.open(strip_trailing(dst_path), O_WRONLY | O_NONBLOCK, true);
            struct stat again;
            if (::fstat(out.get(), &again) != 0 || again.st_ino != dst_st.st_ino ||
                again.st_dev != dst_st.st_dev)
                throw Error(to.describe(dst_path) + " changed while being copied to");
            copier.overwrite_file(src.get(), out.get(), shown);
            return;
        }
        // Anything else is replaced below, at its own name.
    } else if (dst_slash && !src_dir) {
        throw Error("destination directory " + to.describe(dst_path) + " does not exist");
    }
    auto [parent, name] = split_last(dst_path);
    if (name == ".") throw Error("cp: cannot create " + to.describe(dst_path));
    int perr = 0;
    UniqueFd parent_fd = to.try_open(parent, O_RDONLY | O_DIRECTORY, true, perr);
    if (!parent_fd) throw Error("destination directory " + to.describe(parent) + " does not exist");
    copier.copy_entry(src.get(), parent_fd.get(), name, shown);
}

}  // namespace

void copy_from_container(const ContainerFilesystem& container, const std::string& container_path,
                         const std::string& host_path, const CopyOptions& options) {
    with_container_root(container, [&](int root_fd) {
        copy_between(PathScope::rooted(root_fd, container.label), container_path, PathScope::host(),
                     host_path, options);
    });
}

void copy_to_container(const ContainerFilesystem& container, const std::string& host_path,
                       const std::string& container_path, const CopyOptions& options) {
    with_container_root(container, [&](int root_fd) {
        copy_between(PathScope::host(), host_path, PathScope::rooted(root_fd, container.label),
                     container_path, options);
    });
}

}  // namespace berth::engine
