// Finding the images in an archive or layout (shared by `load` and `analyze`): an OCI
// layout's index.json followed down nested indexes to the manifests for one platform, or a
// docker save archive's manifest.json. Every index and manifest is checked against its digest.
#pragma once

#include <string>
#include <vector>

#include "berth/images/digest.h"
#include "load_source.h"
#include "manifest.h"

namespace berth::images {

class Store;

struct LocatedImage {
    Digest manifest;  // docker save archives have none: a synthesized OCI one
    std::string manifest_text;
    Digest config;
    std::string config_name;  // the config's file in the source
    std::vector<Descriptor> layer_descs;
    std::vector<std::string> layer_names;  // the layer files in the source
    std::vector<std::string> tags;
};

struct LocateOptions {
    std::string os = "linux", architecture = "amd64";
    // load: manifests, configs and synthesized manifests are stored as they are found.
    Store* store = nullptr;
    // docker save layers are named by no digest: hash each file (load) or leave the digest
    // empty (analyze hashes the layer as it reads it anyway).
    bool hash_docker_layers = true;
};

// `path` names the source in errors. Several tags of one image are merged into one entry.
std::vector<LocatedImage> locate_images(LoadSource& src, const std::string& path,
                                        const LocateOptions& options);

}  // namespace berth::images
