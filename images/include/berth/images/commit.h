// A container's writable overlay layer as changes (`berth diff`) and as a new image layer
// (`berth commit`): whiteouts (char 0/0) become deletions / `.wh.<name>`, opaque directories
// (trusted.overlay.opaque=y) replace what the lower layers had / `.wh..wh..opq`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "berth/images/store.h"

namespace berth::images {

struct UpperChange {
    char kind;         // 'A' added, 'C' changed, 'D' deleted (docker diff's letters)
    std::string path;  // "/etc/passwd"
};

// The upper dir's changes against the lower dirs (bottom first), sorted by path. Paths in
// `excluded` (and everything below them) are left out: volume and bind-mount targets.
std::vector<UpperChange> upper_changes(const std::string& upper,
                                       const std::vector<std::string>& lowers,
                                       const std::vector<std::string>& excluded);

// A mount destination as an `excluded` entry: "/data/" -> "data"; "/" is refused.
std::string relative_target(const std::string& destination);

struct CommitRequest {
    std::string upper;
    std::vector<std::string> lowers, excluded;
    ImageRecord base;                  // the container's image
    nlohmann::json container_config;   // merged into the config's "config" (Cmd, Env...)
    std::vector<std::string> changes;  // --change: "CMD [...]", "ENV K=V", ...
    std::string message, author, created_by, container_id;
    std::string tag;  // REPO[:TAG] or empty
};

struct CommitResult {
    ImageRecord image;
    uint64_t layer_bytes = 0;  // the new gzip layer
};

// Writes the layer (gzip), config and manifest into the store and records the image. Takes
// the store's exclusive lock.
CommitResult commit_image(Store& store, const CommitRequest& request);

// Applies one Dockerfile-style instruction to a config's "config" object: CMD, ENTRYPOINT
// (JSON array or shell form), ENV, WORKDIR, USER, LABEL, EXPOSE, VOLUME, STOPSIGNAL,
// ONBUILD. An Error names anything else.
void apply_change(nlohmann::json& config, const std::string& instruction);

}  // namespace berth::images
