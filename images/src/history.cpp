#include "berth/images/history.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "berth/error.h"

namespace berth::images {

std::vector<HistoryEntry> config_history(const nlohmann::json& config,
                                         const std::vector<uint64_t>& layer_sizes,
                                         const std::string& what) {
    auto text = [](const nlohmann::json& j, const char* key) {
        auto it = j.find(key);
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    if (!config.is_object()) throw Error(what + ": not a JSON object");
    std::string image_created = text(config, "created");

    std::vector<HistoryEntry> out;
    size_t layer = 0;
    if (auto h = config.find("history"); h != config.end() && h->is_array()) {
        for (const nlohmann::json& step : *h) {
            if (!step.is_object()) throw Error(what + ": bad history entry");
            HistoryEntry e;
            e.created = text(step, "created");
            e.created_by = text(step, "created_by");
            e.comment = text(step, "comment");
            auto empty = step.find("empty_layer");
            e.empty_layer = empty != step.end() && empty->is_boolean() && empty->get<bool>();
            if (!e.empty_layer && layer < layer_sizes.size()) e.size = layer_sizes[layer++];
            out.push_back(std::move(e));
        }
    }
    for (; layer < layer_sizes.size(); ++layer) {
        HistoryEntry e;
        e.created = image_created;
        e.size = layer_sizes[layer];
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<HistoryEntry> image_history(const Store& store, const ImageRecord& image) {
    nlohmann::json config;
    try {
        config = nlohmann::json::parse(store.read_blob(image.id));
    } catch (const nlohmann::json::exception& e) {
        throw Error("config " + image.id.str() + ": " + e.what());
    }
    std::vector<uint64_t> sizes;
    for (const LayerRecord& l : image.layers) sizes.push_back(l.unpacked_size);
    std::vector<HistoryEntry> out = config_history(config, sizes, "config " + image.id.str());
    std::reverse(out.begin(), out.end());
    for (size_t i = 0; i < out.size(); ++i) out[i].id = i == 0 ? image.id.str() : "<missing>";
    return out;
}

}  // namespace berth::images
