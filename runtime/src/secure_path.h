// Paths inside a container's rootfs are resolved relative to an fd of the rootfs with
// openat2(RESOLVE_IN_ROOT): a symlink in the image ("/etc -> /host/etc", "../../..") can never
// lead outside it (CVE-2021-30465, CVE-2024-45310).
#pragma once

#include <sys/types.h>

#include <string>

#include "berth/fd.h"

namespace berth::runtime {

// O_PATH fd of path inside root. extra_resolve adds RESOLVE_* flags (e.g. RESOLVE_NO_SYMLINKS).
UniqueFd open_in_root(int root_fd, const std::string& path, int flags = 0,
                      unsigned long long extra_resolve = 0);
// Like open_in_root but returns an empty fd instead of throwing when the path does not exist.
UniqueFd try_open_in_root(int root_fd, const std::string& path, int flags = 0,
                          unsigned long long extra_resolve = 0);
// mkdir -p inside root, one component at a time, fd-relative. Returns an O_PATH fd of the dir.
UniqueFd mkdir_all_in_root(int root_fd, const std::string& path, mode_t mode = 0755);
// Ensures path exists inside root as a file (creating parents and an empty file if needed);
// returns an O_PATH fd of it. Used as the target of file bind mounts.
UniqueFd create_file_in_root(int root_fd, const std::string& path, mode_t mode = 0644);

// "/a/b/c" -> {"/a/b", "c"}
std::pair<std::string, std::string> split_parent(const std::string& path);

}  // namespace berth::runtime
