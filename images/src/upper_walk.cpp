#include "upper_walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "berth/error.h"
#include "berth/fd.h"
#include "berth/images/commit.h"
#include "unpack_paths.h"

namespace berth::images {
namespace {

bool is_whiteout(const struct stat& st) {
    return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

bool opaque_fd(int fd) {
    char v[2];
    return ::fgetxattr(fd, "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y';
}

bool opaque_path(const std::string& p) {
    char v[2];
    return ::lgetxattr(p.c_str(), "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y';
}

std::vector<std::string> names_in(int dir_fd, const std::string& what) {
    int dup = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) throw_errno("dup " + what);
    DIR* d = ::fdopendir(dup);
    if (!d) {
        ::close(dup);
        throw_errno("opendir " + what);
    }
    std::vector<std::string> out;
    while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

void walk(int dir_fd, const std::string& prefix, const std::set<std::string>& excluded,
          const std::function<void(const UpperEntry&)>& visit, int depth) {
    if (depth > 4096) throw Error("upper dir nesting deeper than 4096 at " + prefix);
    for (const std::string& name : names_in(dir_fd, prefix.empty() ? "upper" : prefix)) {
        UpperEntry e;
        e.path = prefix.empty() ? name : prefix + "/" + name;
        if (excluded.count(e.path)) continue;
        if (::fstatat(dir_fd, name.c_str(), &e.st, AT_SYMLINK_NOFOLLOW) != 0)
            throw_errno("stat " + e.path);
        e.whiteout = is_whiteout(e.st);
        e.dir_fd = dir_fd;
        e.name = name;
        UniqueFd child;
        if (S_ISDIR(e.st.st_mode)) {
            child.reset(
                ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!child) throw_errno("open " + e.path);
            e.opaque = opaque_fd(child.get());
        }
        visit(e);
        if (child) walk(child.get(), e.path, excluded, visit, depth + 1);
    }
}

std::vector<std::string> split(const std::string& path) {
    return clean_entry_path(path, "path " + path);
}

// Where the merged lowers stop looking below `path` at layer `l` (counted from the top):
// 1 = an ancestor (or path) is a whiteout or a file, 2 = an ancestor is opaque (this layer
// still counts), 0 = keep going.
int ancestors(const std::string& lower, const std::vector<std::string>& comps, size_t count,
              bool& missing) {
    std::string cur = lower;
    int result = 0;
    missing = false;
    for (size_t i = 0; i < count; ++i) {
        cur += "/" + comps[i];
        struct stat st;
        if (::lstat(cur.c_str(), &st) != 0) {
            missing = true;
            return result;
        }
        if (is_whiteout(st) || !S_ISDIR(st.st_mode)) return 1;
        if (opaque_path(cur)) result = 2;
    }
    return result;
}

}  // namespace

void walk_upper(const std::string& upper, const std::vector<std::string>& excluded,
                const std::function<void(const UpperEntry&)>& visit) {
    UniqueFd root(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open upper dir " + upper);
    std::set<std::string> ex(excluded.begin(), excluded.end());
    walk(root.get(), "", ex, visit, 0);
}

bool lower_lookup(const std::vector<std::string>& lowers, const std::string& path,
                  struct stat* out) {
    std::vector<std::string> comps = split(path);
    if (comps.empty()) return true;
    for (auto l = lowers.rbegin(); l != lowers.rend(); ++l) {
        bool missing;
        int stop = ancestors(*l, comps, comps.size() - 1, missing);
        if (stop == 1) return false;
        if (!missing) {
            struct stat st;
            if (::lstat((*l + "/" + join_path(comps)).c_str(), &st) == 0) {
                if (is_whiteout(st)) return false;
                if (out) *out = st;
                return true;
            }
        }
        if (stop == 2) return false;
    }
    return false;
}

std::vector<std::string> lower_children(const std::vector<std::string>& lowers,
                                        const std::string& path) {
    std::vector<std::string> comps = split(path);
    std::set<std::string> seen, hidden;
    for (auto l = lowers.rbegin(); l != lowers.rend(); ++l) {
        bool missing;
        int stop = ancestors(*l, comps, comps.size(), missing);
        if (stop == 1) break;
        if (!missing) {
            std::string dir = *l;
            if (!comps.empty()) dir.append("/").append(join_path(comps));
            UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (fd) {
                for (const std::string& n : names_in(fd.get(), dir)) {
                    struct stat st;
                    if (::fstatat(fd.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
                    if (is_whiteout(st)) {
                        hidden.insert(n);
                    } else if (!hidden.count(n)) {
                        seen.insert(n);
                    }
                    hidden.insert(n);  // a lower layer's same name is shadowed
                }
            }
        }
        if (stop == 2) break;
    }
    return {seen.begin(), seen.end()};
}

std::string relative_target(const std::string& destination) {
    // Mount destinations are absolute; layer-path checks want them relative.
    size_t start = destination.find_first_not_of('/');
    std::vector<std::string> comps =
        split(start == std::string::npos ? std::string() : destination.substr(start));
    if (comps.empty()) throw Error("mount target \"" + destination + "\" is the root");
    return join_path(comps);
}

}  // namespace berth::images
