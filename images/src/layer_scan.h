// One pass over a layer blob without unpacking it: the outer libarchive reader only
// decompresses (every filter, format "raw") so the compressed and the tar bytes can be counted
// and hashed (blob digest, DiffID); the inner one lists the tar's entries, skipping their data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "berth/images/digest.h"
#include "byte_stream.h"

namespace berth::images {

struct ScanEntry {
    enum class Kind : char {
        file = 'f',
        dir = 'd',
        symlink = 'l',
        hardlink = 'h',
        other = 'o',     // devices, fifos
        whiteout = 'w',  // ".wh.<name>": path is the hidden <name>
        opaque = 'q',    // ".wh..wh..opq": path is its directory
    };
    std::string path;   // cleaned, relative ("etc/passwd"); "" never occurs
    uint64_t size = 0;  // the tar header's size (0 for all but regular files)
    Kind kind = Kind::file;
    std::string link;  // symlink or hardlink target
};

struct LayerScan {
    std::vector<ScanEntry> entries;
    uint64_t compressed_bytes = 0;  // bytes of the blob as stored
    uint64_t tar_bytes = 0;         // decompressed tar stream
    Digest blob_digest;             // sha256 of the blob (when asked for)
    Digest diff_id;                 // sha256 of the tar stream
};

struct ScanLimits {
    uint64_t max_tar_bytes = uint64_t{64} << 30;  // beyond = a decompression bomb
    uint64_t max_entries = 10'000'000;            // the listing is kept in memory
};

// `what` names the layer in errors ("layer sha256:0123456789ab"). hash_blob: also hash the
// compressed bytes (for a blob whose digest the caller must check).
LayerScan scan_layer(ByteStream& in, const std::string& what, const ScanLimits& limits,
                     bool hash_blob);

}  // namespace berth::images
