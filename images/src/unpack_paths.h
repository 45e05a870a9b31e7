// Path handling for layer entries: names are split into checked components and every
// directory is opened one component at a time below the layer root, never through a symlink.
#pragma once

#include <string>
#include <vector>

#include "berth/fd.h"
#include "berth/images/entry_paths.h"

namespace berth::images {

// clean_entry_path and open_dirs: berth/images/entry_paths.h.

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
