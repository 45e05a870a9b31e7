#include "berth/images/history.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "berth/error.h"

namespace berth::images {

std::vector<HistoryEntry> image_history(const Store& store, const ImageRecord& image) {
    nlohmann::json config;
    try {
        config = nlohmann::json::parse(store.read_blob(image.id));
    } catch (const nlohmann::json::exception& e) {
        throw Error("config " + image.id.str() + ": " + e.what());
    }
    auto text = [](const nlohmann::json& j, const char* key) {
        auto it = j.find(key);
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string image_created = text(config, "created");

    std::vector<HistoryEntry> out;  // oldest first while building
    size_t layer = 0;
    if (auto h = config.find("history"); h != config.end() && h->is_array()) {
        for (const nlohmann::json& step : *h) {
            if (!step.is_object()) throw Error("config " + image.id.str() + ": bad history entry");
            HistoryEntry e;
            e.created = text(step, "created");
            e.created_by = text(step, "created_by");
            e.comment = text(step, "comment");
            auto empty = step.find("empty_layer");
            e.empty_layer = empty != step.end() && empty->is_boolean() && empty->get<bool>();
            if (!e.empty_layer && layer < image.layers.size())
                e.size = image.layers[layer++].unpacked_size;
            out.push_back(std::move(e));
        }
    }
    for (; layer < image.layers.size(); ++layer) {
        HistoryEntry e;
        e.created = image_created;
        e.size = image.layers[layer].unpacked_size;
        out.push_back(std::move(e));
    }
    std::reverse(out.begin(), out.end());
    for (size_t i = 0; i < out.size(); ++i) out[i].id = i == 0 ? image.id.str() : "<missing>";
    return out;
}

}  // namespace berth::images
