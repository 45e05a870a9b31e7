// Path handling for layer entries: names are split into checked components and every
// directory is opened one component at a time below the layer root, never through a symlink.
#pragma once

#include <string>
#include <vector>

#include "berth/fd.h"

namespace berth::images {

// "./a//b/" -> {"a","b"}; "." and "./" -> {}. Throws on a ".." component or a leading "/".
std::vector<std::string> clean_entry_path(const std::string& name, const std::string& what);

// Opens comps[0..count) as directories below root_fd (O_RDONLY, so fsetxattr works), creating
// missing ones (0755) when `create`. A symlink or non-directory on the way is an Error.
UniqueFd open_dirs(int root_fd, const std::vector<std::string>& comps, size_t count, bool create,
                   const std::string& what);

std::string join_path(const std::vector<std::string>& comps);

// The directories of the current entry's parent path, kept open so the next entry in the same
// directory (most of a tar) costs no lookups. Opened exactly as open_dirs does (one component
// at a time, O_NOFOLLOW, missing ones created). Only the current entry's ancestors are ever
// held, and an entry only creates or removes names inside its parent, never an ancestor of
// itself, so no held fd can outlive the directory its path named.
class ParentDirs {
  public:
    explicit ParentDirs(int root_fd) : root_(root_fd) {}
    // The fd of comps[0..count), valid until the next open().
    int open(const std::vector<std::string>& comps, size_t count, const std::string& what);

  private:
    static constexpr size_t kMaxKept = 32;  // deeper paths are walked without keeping fds
    int root_;
    std::vector<std::string> names_;
    std::vector<UniqueFd> fds_;  // fds_[i] is names_[0..i]
    UniqueFd deep_;
};

}  // namespace berth::images
