// OCI mount options ("ro", "nosuid", "rbind", "rslave", "mode=755", ...) split into what the
// new mount API needs: mount attributes, propagation, bind mode and filesystem parameters.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace berth::runtime {

struct MountRequest {
    bool bind = false;
    bool recursive = false;  // rbind
    uint64_t attr_set = 0;   // MOUNT_ATTR_*
    uint64_t attr_clear = 0;
    bool recursive_attrs = false;   // "rro", "rnosuid", ... apply to every submount
    unsigned long propagation = 0;  // MS_SHARED / MS_SLAVE / MS_PRIVATE / MS_UNBINDABLE
    bool propagation_recursive = false;
    // Filesystem parameters for fsconfig: {"mode", "755"} or {"newinstance", ""}.
    std::vector<std::pair<std::string, std::string>> fs_params;
};

MountRequest parse_mount_options(const std::vector<std::string>& options);
// Is `name` a known mount option? (Used by `features`.)
std::vector<std::string> known_mount_options();

}  // namespace berth::runtime
