// Untrusted archive entry names, shared by layer unpacking and `berth cp -`: split into
// checked components, and directories opened one component at a time below a root with
// O_NOFOLLOW, so no name or symlink in an archive can reach outside that root.
#pragma once

#include <string>
#include <vector>

#include "berth/fd.h"

namespace berth::images {

// "./a//b/" -> {"a","b"}; "." and "./" -> {}. Throws on a ".." component or a leading "/"
// (`what` names the entry in the message).
std::vector<std::string> clean_entry_path(const std::string& name, const std::string& what);

// Opens comps[0..count) as directories below root_fd (O_RDONLY, so fsetxattr works), creating
// missing ones (0755) when `create`. A symlink or non-directory on the way is an Error.
UniqueFd open_dirs(int root_fd, const std::vector<std::string>& comps, size_t count, bool create,
                   const std::string& what);

}  // namespace berth::images
