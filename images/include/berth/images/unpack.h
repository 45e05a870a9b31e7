// Safe extraction of one untrusted layer tar (gzip, zstd or plain) into an empty directory.
//
// Every entry is created fd-relative below the destination, walking one component at a time
// with O_NOFOLLOW, so no name, symlink or hardlink in the layer can reach outside it. Refused
// with an Error naming the entry: ".." components, paths through a symlink (or any
// non-directory), hardlinks whose target is not an earlier entry of this layer, whiteouts of
// "", "." or "..", trusted.overlay.* xattrs (they would steer overlayfs), absolute names
// (and hardlink targets), character and block devices outside dev/, and more content than
// max_bytes. A leading "./" is fine. Whiteouts become overlayfs whiteouts (char 0/0) and
// ".wh..wh..opq" the trusted.overlay.opaque="y" xattr on its directory.
//
// Kept as the layer says: owners, modes including setuid/setgid (images need su, ping...;
// the layer dirs sit below the store's 0700 root, so no host user can run them), xattrs,
// mtimes, FIFOs, devices below dev/.
#pragma once

#include <cstdint>
#include <string>

#include "berth/images/digest.h"

namespace berth::images {

struct UnpackOptions {
    uint64_t max_bytes = uint64_t{64} << 30;  // decompressed tar bytes; beyond = a bomb
};

struct UnpackResult {
    Digest diff_id;           // sha256 of the decompressed tar stream
    uint64_t file_bytes = 0;  // sum of regular file sizes
};

// `what` names the layer in errors ("layer sha256:0123456789ab").
UnpackResult unpack_layer(int layer_fd, int dest_dir_fd, const std::string& what,
                          const UnpackOptions& options = {});

}  // namespace berth::images
