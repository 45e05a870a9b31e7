#include "berth/images/inspect.h"

namespace berth::images {

nlohmann::json inspect_image(const Store& store, const ImageRecord& image) {
    nlohmann::json config = nlohmann::json::parse(store.read_blob(image.id));
    nlohmann::json diff_ids = nlohmann::json::array(), blobs = nlohmann::json::array();
    uint64_t size = 0;
    for (const LayerRecord& l : image.layers) {
        diff_ids.push_back(l.diff_id.str());
        blobs.push_back(l.blob.str());
        size += l.unpacked_size;
    }
    return {{"Id", image.id.str()},
            {"RepoTags", image.repo_tags},
            {"RepoDigests", image.repo_digests},
            {"Created", config.value("created", "")},
            {"Architecture", config.value("architecture", "")},
            {"Os", config.value("os", "")},
            {"Config", config.value("config", nlohmann::json::object())},
            {"RootFS", {{"Type", "layers"}, {"Layers", diff_ids}}},
            {"Size", size},
            {"Layers", blobs},
            {"Manifest", image.manifest.str()}};
}

}  // namespace berth::images
