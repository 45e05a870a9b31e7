#include "manifest.h"

#include "berth/error.h"

namespace berth::images {

bool is_index_media_type(const std::string& media_type) {
    return media_type == "application/vnd.oci.image.index.v1+json" ||
           media_type == "application/vnd.docker.distribution.manifest.list.v2+json";
}

nlohmann::json parse_json(const std::string& text, const std::string& what) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw Error(what + ": invalid JSON: " + e.what());
    }
}

Descriptor parse_descriptor(const nlohmann::json& j, const std::string& what) {
    try {
        Descriptor d;
        d.media_type = j.value("mediaType", "");
        d.digest = Digest::parse(j.at("digest").get<std::string>(), what + " digest");
        d.size = j.value("size", int64_t{-1});
        if (j.contains("platform")) {
            const auto& p = j.at("platform");
            d.os = p.value("os", "");
            d.architecture = p.value("architecture", "");
            d.variant = p.value("variant", "");
        }
        if (j.contains("annotations"))
            d.annotations = j.at("annotations").get<std::map<std::string, std::string>>();
        return d;
    } catch (const nlohmann::json::exception& e) {
        throw Error(what + ": bad descriptor: " + e.what());
    }
}

std::vector<Descriptor> parse_index(const std::string& text, const std::string& what) {
    nlohmann::json j = parse_json(text, what);
    if (!j.is_object() || !j.contains("manifests") || !j["manifests"].is_array())
        throw Error(what + ": no \"manifests\" array");
    std::vector<Descriptor> out;
    for (const auto& m : j["manifests"]) out.push_back(parse_descriptor(m, what + " manifest"));
    return out;
}

Manifest parse_manifest(const std::string& text, const std::string& what) {
    nlohmann::json j = parse_json(text, what);
    if (!j.is_object() || !j.contains("config") || !j.contains("layers") || !j["layers"].is_array())
        throw Error(what + ": not an image manifest (needs config and layers)");
    if (j.value("schemaVersion", 0) != 2) throw Error(what + ": schemaVersion must be 2");
    Manifest m;
    m.config = parse_descriptor(j["config"], what + " config");
    for (const auto& l : j["layers"]) m.layers.push_back(parse_descriptor(l, what + " layer"));
    return m;
}

ImageConfig parse_config(const std::string& text, const std::string& what) {
    ImageConfig c;
    c.doc = parse_json(text, what);
    try {
        const auto& rootfs = c.doc.at("rootfs");
        if (rootfs.at("type").get<std::string>() != "layers")
            throw Error(what + ": rootfs.type must be \"layers\"");
        for (const auto& d : rootfs.at("diff_ids"))
            c.diff_ids.push_back(Digest::parse(d.get<std::string>(), what + " diff_id"));
    } catch (const nlohmann::json::exception& e) {
        throw Error(what + ": bad rootfs: " + e.what());
    }
    return c;
}

std::string synthesize_manifest(const Descriptor& config, const std::vector<Descriptor>& layers) {
    auto desc = [](const Descriptor& d) {
        return nlohmann::json{
            {"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
    };
    nlohmann::json j = {{"schemaVersion", 2},
                        {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                        {"config", desc(config)},
                        {"layers", nlohmann::json::array()}};
    for (const Descriptor& l : layers) j["layers"].push_back(desc(l));
    return j.dump();
}

}  // namespace berth::images
