// Path resolution on one side of a copy. A container's tree is untrusted: every path in it is
// resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) relative to an fd of its
// root, so "..", absolute symlinks ("/x -> /etc") and symlinks swapped in while we work are
// all clamped to that root (CVE-2018-15664, CVE-2021-41089). The host side is the user's own
// filesystem and resolves paths as any tool does.
#pragma once

#include <string>

#include "berth/fd.h"

namespace berth::engine {

class PathScope {
  public:
    // Paths as the caller's process sees them (relative ones from its cwd).
    static PathScope host();
    // Paths inside the tree whose root directory root_fd is (not owned).
    static PathScope rooted(int root_fd, std::string label);

    // Opens path with flags (O_CLOEXEC added); follow_last=false refuses to follow a symlink
    // in the last component (O_PATH|O_NOFOLLOW then yields the link itself). Returns an empty
    // fd and sets err when it fails with ENOENT/ENOTDIR (a missing path); throws otherwise.
    UniqueFd try_open(const std::string& path, int flags, bool follow_last, int& err) const;
    UniqueFd open(const std::string& path, int flags, bool follow_last) const;

    // "container web:/etc/passwd" or "/tmp/x" for messages.
    std::string describe(const std::string& path) const;
    bool is_rooted() const { return root_fd_ >= 0; }

  private:
    PathScope(int root_fd, std::string label) : root_fd_(root_fd), label_(std::move(label)) {}
    int root_fd_ = -1;
    std::string label_;
};

// "/a/b/" -> {"/a", "b"}; "file" -> {".", "file"}; "/" -> {"/", "."}. Trailing slashes and
// "/." are dropped from the name (callers look at them before splitting).
std::pair<std::string, std::string> split_last(const std::string& path);

}  // namespace berth::engine
