#include "unpack_paths.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>

#include "berth/error.h"

namespace berth::images {

std::vector<std::string> clean_entry_path(const std::string& name, const std::string& what) {
    // Bounds the depth of any tree a layer can build, so the recursive removal of whiteouts and
    // of whole layers cannot exhaust the stack.
    if (name.size() > PATH_MAX) throw Error(what.substr(0, 200) + "...: path longer than PATH_MAX");
    // tar strips a leading "/" and carries on; an image layer has no business naming host
    // paths, so it is refused rather than silently reinterpreted.
    if (!name.empty() && name[0] == '/')
        throw Error(what + ": absolute name; layer entries must be relative to the layer root");
    std::vector<std::string> comps;
    size_t pos = 0;
    while (pos <= name.size()) {
        size_t next = name.find('/', pos);
        if (next == std::string::npos) next = name.size();
        std::string comp = name.substr(pos, next - pos);
        pos = next + 1;
        if (comp.empty() || comp == ".") continue;
        if (comp == "..") throw Error(what + ": \"..\" in the path escapes the layer");
        comps.push_back(comp);
    }
    return comps;
}

std::string join_path(const std::vector<std::string>& comps) {
    std::string out;
    for (const std::string& c : comps) out += (out.empty() ? "" : "/") + c;
    return out.empty() ? "." : out;
}

namespace {

// comps[i] below dir_fd (comps[0..i) already walked), as a directory, never through a symlink.
UniqueFd open_component(int dir_fd, const std::vector<std::string>& comps, size_t i, bool create,
                        const std::string& what) {
    const std::string& comp = comps[i];
    const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = ::openat(dir_fd, comp.c_str(), flags);
    if (fd < 0 && errno == ENOENT && create) {
        if (::mkdirat(dir_fd, comp.c_str(), 0755) != 0 && errno != EEXIST)
            throw_errno(what + ": mkdir " + comp);
        fd = ::openat(dir_fd, comp.c_str(), flags);
    }
    if (fd < 0) {
        int err = errno;
        std::vector<std::string> prefix(comps.begin(), comps.begin() + i + 1);
        if (err == ELOOP || err == ENOTDIR) {
            struct stat st;
            bool link = ::fstatat(dir_fd, comp.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                        S_ISLNK(st.st_mode);
            throw Error(
                what + ": parent " + join_path(prefix) +
                    (link ? " is a symlink; refusing to write through it" : " is not a directory"),
                err);
        }
        throw_errno(what + ": open " + join_path(prefix), err);
    }
    return UniqueFd(fd);
}

}  // namespace

UniqueFd open_dirs(int root_fd, const std::vector<std::string>& comps, size_t count, bool create,
                   const std::string& what) {
    UniqueFd cur(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
    if (!cur) throw_errno(what + ": dup layer root");
    for (size_t i = 0; i < count; ++i) cur = open_component(cur.get(), comps, i, create, what);
    return cur;
}

int ParentDirs::open(const std::vector<std::string>& comps, size_t count, const std::string& what) {
    size_t keep = 0;
    while (keep < names_.size() && keep < count && names_[keep] == comps[keep]) ++keep;
    names_.resize(keep);
    fds_.resize(keep);
    deep_.reset();
    int cur = keep == 0 ? root_ : fds_.back().get();
    for (size_t i = keep; i < count; ++i) {
        UniqueFd fd = open_component(cur, comps, i, true, what);
        if (i < kMaxKept) {
            names_.push_back(comps[i]);
            fds_.push_back(std::move(fd));
            cur = fds_.back().get();
        } else {
            deep_ = std::move(fd);
            cur = deep_.get();
        }
    }
    return cur;
}

}  // namespace berth::images
