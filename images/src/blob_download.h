// Parallel blob transfers for pull: up to N threads, each with its own curl handle, stream
// blobs into staging files while hashing them; a blob longer than its descriptor is cut off,
// and one whose bytes do not hash to its digest is an error naming the digest.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "berth/images/pull.h"
#include "registry_client.h"

namespace berth::images {

struct BlobJob {
    Digest digest;
    int64_t size = -1;   // from the descriptor; -1 = unknown
    std::string what;    // "layer", "config"
    std::string staged;  // filled in: the verified file under the staging dir
};

struct DownloadStats {
    int blobs = 0;
    uint64_t bytes = 0;
};

// Throws the first failure after stopping the other transfers; staged files stay for the
// caller's staging dir to remove.
DownloadStats download_blobs(RegistryClient& client, std::vector<BlobJob>& jobs,
                             const std::string& staging_dir, const PullOptions& options);

}  // namespace berth::images
