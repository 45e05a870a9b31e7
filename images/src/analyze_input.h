// What an analysis reads, whatever the source: the config, and per layer its descriptor, the
// config's DiffID and a way to stream the blob. Sources build one; run_analysis reads it.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "berth/images/analyze.h"
#include "byte_stream.h"
#include "manifest.h"

namespace berth::images {

struct LayerInput {
    Descriptor desc;    // digest empty when the source names none (docker save)
    Digest diff_id;     // from the config
    bool check_digest;  // the blob must hash to desc.digest (untrusted sources)
    // Called from scanning threads, once per layer.
    std::function<std::unique_ptr<ByteStream>()> open;
};

struct ImageInput {
    std::string source, reference;
    Digest id, manifest;
    nlohmann::json config;
    std::vector<LayerInput> layers;
};

// Fills the input's layers from a config and a manifest's layer descriptors; the config's
// diff_ids must match the layers one to one.
void bind_layers(ImageInput& input, const std::vector<Descriptor>& layers,
                 const std::string& config_text, bool check_digest,
                 const std::function<std::function<std::unique_ptr<ByteStream>()>(size_t)>& open);

ImageAnalysis run_analysis(const ImageInput& input, const AnalyzeOptions& options);

}  // namespace berth::images
