// `berth image history`: the image config's history, newest first, each entry with the size
// of the layer it created (0 for an empty_layer entry: ENV, CMD...), like `docker history`.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "berth/images/store.h"

namespace berth::images {

struct HistoryEntry {
    // The image ID on the newest entry, "<missing>" below it: as docker shows a pulled image,
    // whose intermediate steps were never images here.
    std::string id;
    std::string created;  // RFC 3339, as the config has it (may be empty)
    std::string created_by, comment;
    uint64_t size = 0;  // the layer's unpacked size
    bool empty_layer = false;
};

// Entries are matched to the layers in order; layers the history does not cover (a config
// without history, or with too few entries) get an entry of their own with an empty
// created_by and the image's created time.
std::vector<HistoryEntry> image_history(const Store& store, const ImageRecord& image);

// The same from a config document, oldest first and without IDs: entry sizes come from
// layer_sizes (one per layer, bottom first); what names the config in errors.
std::vector<HistoryEntry> config_history(const nlohmann::json& config,
                                         const std::vector<uint64_t>& layer_sizes,
                                         const std::string& what);

}  // namespace berth::images
