// The advice `berth image analyze` gives, each with the bytes it would save: package-manager
// caches and lists left in a layer, files deleted in a later layer, files rewritten across
// layers, build toolchains in the final image, `.git` directories, an image running as root.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "berth/images/analyze.h"

namespace berth::images {

// The biggest few paths of a hint; the path is only built for one that makes it in.
class TopPaths {
  public:
    void add(uint64_t bytes, const std::function<std::string()>& path);
    std::vector<std::string> paths() const;

  private:
    std::vector<std::pair<uint64_t, std::string>> top_;
};

class HintCollector {
  public:
    // A non-directory entry written by `layer` (caches and .git are spotted here: what a
    // layer ships is what counts, even if a later layer deletes it).
    void on_write(int layer, std::string_view path, uint64_t size);
    // A path that existed below `layer` and is gone in it; bytes = what earlier layers
    // shipped for it since it last appeared.
    void on_remove(int layer, uint64_t bytes, const std::function<std::string()>& path);
    // Every non-directory entry of the final image: writes = layers that wrote it since it
    // last appeared, written = the bytes of those writes.
    void on_final_file(std::string_view path, uint64_t size, uint32_t writes, uint64_t written);
    // subtree_size(path) = the bytes below a directory of the final image (0 if absent).
    std::vector<Hint> finish(const nlohmann::json& config,
                             const std::function<uint64_t(const std::string&)>& subtree_size);

  private:
    struct Bucket {
        uint64_t bytes = 0, files = 0;
        std::set<int> layers;
        TopPaths top;
    };
    std::map<std::string, Bucket> caches_;  // by package manager
    Bucket git_, deleted_, rewritten_;
    // Toolchains: the roots (directories) and loose binaries of each one found.
    struct Toolchain {
        bool found = false;
        std::set<std::string> roots;
        uint64_t loose_bytes = 0;
        TopPaths top;
    };
    std::map<std::string, Toolchain> toolchains_;
};

}  // namespace berth::images
