// `berth image analyze`: where an image's bytes are, what is wasted, and what to do about it.
//
// Every layer is read once, streaming, with libarchive (never unpacked): from the store's
// blobs, a docker save or OCI layout archive, an OCI layout directory, or straight from a
// registry. Efficiency, wasted bytes and user-wasted percent follow dive's definitions
// exactly (see docs/analyze.md):
//   - each layer is a tree of its tar entries; its leaves (entries with no entry below them
//     in the same layer) are visited; a whiteout is a leaf of the path it hides, charged the
//     total size of what it hid when that was a directory, 0 when it was a file;
//   - per path: cumulative = sum of its leaf sizes over all layers, minimum = the smallest;
//     efficiency = sum(minimum) / sum(cumulative) (1.0 with no paths);
//   - wasted bytes = sum of cumulative over paths seen in 2+ layers;
//   - user size = the size of all layers but the first; user-wasted = wasted / user size.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "berth/images/digest.h"
#include "berth/images/pull.h"
#include "berth/images/store.h"

namespace berth::images {

// AnalyzeOptions::tree_layer for the final image (the last layer).
inline constexpr int kTreeFinal = -2;

struct AnalyzeOptions {
    std::string os = "linux", architecture = "amd64";  // picked from an index
    // --remote: registry options (insecure, credentials, platform variant). The root is
    // where `berth login` saved credentials (may not exist: --remote needs no store).
    PullOptions remote;
    std::string credentials_root;
    int parallel = 2;                             // layers scanned at once
    uint64_t max_tar_bytes = uint64_t{64} << 30;  // per layer, decompressed
    uint64_t max_entries = 10'000'000;            // per layer
    // The file tree: -1 = none, otherwise the merged image as of that layer (kTreeFinal:
    // the last one), with the changes made by that layer marked. tree_changed_only keeps changed
    // entries (and the directories leading to them).
    int tree_layer = -1;
    bool tree_changed_only = false;
};

struct ChangeCount {
    uint64_t files = 0, bytes = 0;  // non-directory entries
};

struct LayerAnalysis {
    int index = 0;
    Digest digest;  // the blob
    Digest diff_id;
    std::string media_type;
    uint64_t compressed_bytes = 0;          // the blob
    uint64_t uncompressed_bytes = 0;        // the tar stream
    uint64_t size_bytes = 0;                // dive's layer size: sum of the entries' sizes
    uint64_t entries = 0;                   // tar entries
    std::string command, comment, created;  // from the config's history
    ChangeCount added, modified, removed;
};

struct WastedPath {
    std::string path;    // "/etc/config.txt"
    uint32_t count = 0;  // layers with a node for it
    uint64_t bytes = 0;  // its cumulative size
};

struct Hint {
    std::string kind;     // package-cache, deleted-later, rewritten, toolchain, root-user, git-dir
    std::string message;  // what to do
    uint64_t bytes = 0;   // what doing it would save
    std::vector<std::string> paths;  // the biggest examples (at most 5)
    std::vector<int> layers;         // where those bytes are
};

struct TreeLine {
    int depth = 0;  // 0 = children of "/"
    std::string name, path, link;
    char kind = 'f';    // f d l h o (as in the tar)
    char change = ' ';  // A added, M modified, D removed in the tree's layer, ' ' unchanged
    uint64_t size = 0;  // a directory: everything below it
};

struct ImageAnalysis {
    std::string source;     // "store", "archive", "layout", "remote"
    std::string reference;  // what was asked for
    Digest id, manifest;
    std::string os, architecture, user;
    std::vector<LayerAnalysis> layers;
    uint64_t size_bytes = 0, user_size_bytes = 0, compressed_bytes = 0;
    uint64_t files = 0;  // non-directory entries in the final image
    double efficiency = 1.0;
    uint64_t wasted_bytes = 0;
    double user_wasted_percent = 0;  // a ratio (0.1 = 10%), 0 when the user size is 0
    std::vector<WastedPath> wasted;  // every path in 2+ layers, biggest first
    std::vector<Hint> hints;         // biggest saving first
    int tree_layer = -1;
    std::vector<TreeLine> tree;  // pre-order, children sorted by name
};

// REF in the store (held under its shared lock while the layers are read).
ImageAnalysis analyze_stored(Store& store, const std::string& ref, const AnalyzeOptions& options);
// A docker save archive or an OCI layout tar (optionally compressed).
ImageAnalysis analyze_archive(const std::string& path, const AnalyzeOptions& options);
// An OCI layout directory.
ImageAnalysis analyze_layout(const std::string& dir, const AnalyzeOptions& options);
// registry/repo[:tag|@digest]: manifest, config and layers streamed; nothing is written.
ImageAnalysis analyze_remote(const std::string& ref, const AnalyzeOptions& options);

// The documented JSON form (docs/analyze.md) and the layer table as CSV (header line first).
nlohmann::json analysis_json(const ImageAnalysis& analysis);
std::string layers_csv(const ImageAnalysis& analysis);

}  // namespace berth::images
