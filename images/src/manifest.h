// The JSON documents of an image: OCI/Docker index, manifest and config. Pure data, no I/O.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "berth/images/digest.h"

namespace berth::images {

struct Descriptor {
    std::string media_type;
    Digest digest;
    int64_t size = -1;
    std::string os, architecture, variant;  // index entries only
    std::map<std::string, std::string> annotations;
};

struct Manifest {
    Descriptor config;
    std::vector<Descriptor> layers;
};

struct ImageConfig {
    std::vector<Digest> diff_ids;
    nlohmann::json doc;  // the whole config, for inspect
};

bool is_index_media_type(const std::string& media_type);
nlohmann::json parse_json(const std::string& text, const std::string& what);
Descriptor parse_descriptor(const nlohmann::json& j, const std::string& what);
std::vector<Descriptor> parse_index(const std::string& text, const std::string& what);
Manifest parse_manifest(const std::string& text, const std::string& what);
ImageConfig parse_config(const std::string& text, const std::string& what);
// An OCI manifest document for a docker-save image (which has none of its own).
std::string synthesize_manifest(const Descriptor& config, const std::vector<Descriptor>& layers);

}  // namespace berth::images
