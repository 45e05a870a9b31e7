// Walking a container's overlay upper dir (fd-relative, never following a symlink), and
// looking paths up in the lower layers the way overlayfs merges them.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <string>
#include <vector>

namespace berth::images {

struct UpperEntry {
    std::string path;  // "etc/passwd", relative, no leading '/'
    struct stat st;
    bool whiteout = false;  // char device 0/0
    bool opaque = false;    // directory with trusted.overlay.opaque=y
    int dir_fd = -1;        // the parent directory (valid during the callback)
    std::string name;       // the last component
};

// Calls visit for every entry below upper in sorted order, parents before children; paths in
// `excluded` ("data", "etc/hosts") and everything below them are skipped.
void walk_upper(const std::string& upper, const std::vector<std::string>& excluded,
                const std::function<void(const UpperEntry&)>& visit);

// Whether `path` exists in the merged view of the lowers (bottom first), and its type.
bool lower_lookup(const std::vector<std::string>& lowers, const std::string& path,
                  struct stat* out = nullptr);

// The names directly below `path` in the merged lowers (for what an opaque dir hides).
std::vector<std::string> lower_children(const std::vector<std::string>& lowers,
                                        const std::string& path);

}  // namespace berth::images
