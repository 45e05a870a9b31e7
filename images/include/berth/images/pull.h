// `berth pull`: an image from a registry speaking the distribution API v2 (libcurl).
//
// The manifest (an index or manifest list picks the platform), config and layers are fetched
// with every digest verified; layers come in parallel into staging files under the store's
// tmp/ and get their blob names only once all of them verified, then the same unpack path as
// `load` runs, so a pulled image is identical to a loaded one. Any failure leaves no blob,
// layer or record behind. Blobs already in the store are not downloaded again.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "berth/images/store.h"
#include "berth/images/unpack.h"

namespace berth::images {

struct PullProgress {
    enum class Kind { exists, start, data, done };
    Kind kind;
    Digest digest;       // the blob
    std::string what;    // "layer" or "config"
    uint64_t bytes = 0;  // received so far
    uint64_t total = 0;  // descriptor size
    double seconds = 0;  // since this blob started
};

struct PullOptions {
    std::string os = "linux";
    std::string architecture = "amd64";
    std::string variant;    // empty = any
    bool insecure = false;  // plain http (and unverified https) allowed
    // Per-registry CAs: <certs_dir>/<host:port>/*.crt. Empty: $BERTH_CERTS_DIR, else
    // /etc/berth/certs.d.
    std::string certs_dir;
    int max_parallel = 3;
    // Basic credentials, used when the registry asks for Basic or for a token. Empty: the
    // ones `berth login` saved for the registry in <root>/auth.json, if any.
    std::string username, password;
    // Called from the transfer threads, serialised by pull.
    std::function<void(const PullProgress&)> progress;
    UnpackOptions unpack;
};

struct PullResult {
    ImageRecord image;
    Digest resolved;           // what the reference pointed to (index or manifest)
    int blobs_downloaded = 0;  // config and layers actually transferred
    uint64_t bytes_downloaded = 0;
    int blobs_skipped = 0;  // already in the store
    int layers_unpacked = 0;
};

// Parses "os/arch[/variant]".
void parse_platform(const std::string& text, PullOptions& options);

PullResult pull_image(Store& store, const std::string& ref, const PullOptions& options = {});

}  // namespace berth::images
