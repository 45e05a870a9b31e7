// -u USER[:GROUP] resolved through the image's own /etc/passwd and /etc/group, read inside
// the container's rootfs (openat2 RESOLVE_IN_ROOT: a symlinked /etc/passwd cannot point at
// the host's), never through the host's NSS.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace berth::engine {

struct ResolvedUser {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> additional_gids;
    std::string home = "/";
};

// `spec` is "", "name", "uid", "name:group", "uid:gid"... Numeric ids need no passwd entry
// (the gid then defaults to the passwd entry's, or 0). Throws naming what is missing.
ResolvedUser resolve_user(int rootfs_fd, const std::string& spec);

// docker creates a missing WorkingDir: each component is made and opened below the rootfs
// fd (RESOLVE_IN_ROOT), so a symlink in the image can never point the mkdir at the host.
void make_dirs_in_root(int rootfs_fd, const std::string& path);

}  // namespace berth::engine
