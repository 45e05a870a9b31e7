#include "berth/error.h"
#include "berth/images/store.h"

namespace berth::images {

nlohmann::json ImageRecord::to_json() const {
    nlohmann::json layers_json = nlohmann::json::array();
    for (const LayerRecord& l : layers)
        layers_json.push_back({{"blob", l.blob.str()},
                               {"mediaType", l.media_type},
                               {"blobSize", l.blob_size},
                               {"diffID", l.diff_id.str()},
                               {"chainID", l.chain_id.str()},
                               {"unpackedSize", l.unpacked_size}});
    return {{"id", id.str()},
            {"manifest", manifest.str()},
            {"repoTags", repo_tags},
            {"repoDigests", repo_digests},
            {"layers", layers_json}};
}

ImageRecord ImageRecord::from_json(const nlohmann::json& j) {
    try {
        ImageRecord r;
        r.id = Digest::parse(j.at("id").get<std::string>(), "image record id");
        r.manifest = Digest::parse(j.at("manifest").get<std::string>(), "image record manifest");
        r.repo_tags = j.at("repoTags").get<std::vector<std::string>>();
        r.repo_digests = j.at("repoDigests").get<std::vector<std::string>>();
        for (const auto& l : j.at("layers")) {
            LayerRecord layer;
            layer.blob = Digest::parse(l.at("blob").get<std::string>(), "layer blob");
            layer.media_type = l.at("mediaType").get<std::string>();
            layer.blob_size = l.at("blobSize").get<uint64_t>();
            layer.diff_id = Digest::parse(l.at("diffID").get<std::string>(), "layer diffID");
            layer.chain_id = Digest::parse(l.at("chainID").get<std::string>(), "layer chainID");
            layer.unpacked_size = l.at("unpackedSize").get<uint64_t>();
            r.layers.push_back(layer);
        }
        return r;
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("image record: ") + e.what());
    }
}

std::string normalize_tag(std::string_view ref) {
    std::string s(ref);
    if (s.find('@') != std::string::npos) return s;
    size_t slash = s.rfind('/');
    size_t colon = s.rfind(':');
    if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) s += ":latest";
    return s;
}

}  // namespace berth::images
