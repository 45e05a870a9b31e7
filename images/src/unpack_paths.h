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

}  // namespace berth::images
