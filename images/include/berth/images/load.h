// `berth image load`: OCI image layouts (directory or tar) and `docker save` archives.
// Every manifest, config and layer is verified against its digest before it is stored; each
// layer is unpacked once by ChainID (into a temp dir renamed into place, so a crash never leaves
// a half layer under its final name) and its DiffID checked against the config.
#pragma once

#include <string>
#include <vector>

#include "berth/images/store.h"
#include "berth/images/unpack.h"

namespace berth::images {

struct LoadOptions {
    std::string os = "linux";
    std::string architecture = "amd64";  // picked from an index
    UnpackOptions unpack;
};

struct LoadResult {
    std::vector<ImageRecord> images;
    int layers_unpacked = 0;
    int layers_reused = 0;
};

// `path` is an OCI layout directory, or a tar (optionally compressed) holding a layout or a
// docker save archive (manifest.json). Takes the store's exclusive lock.
LoadResult load_images(Store& store, const std::string& path, const LoadOptions& options = {});

// Unpacks the layers of `layers` missing from the store (ChainIDs computed here); used by load
// and, later, pull. Returns how many were unpacked.
int ensure_layers(Store& store, std::vector<LayerRecord>& layers, const UnpackOptions& options);

}  // namespace berth::images
