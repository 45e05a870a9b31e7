// Helpers for the analyze tests: the analyze fixture image (rootfs-fixtures/analyze-image.sh)
// in its three forms, built once per test binary (or by ctest), and a writer of small OCI
// layouts from hand-made layer tars for the edge cases and the hostile inputs.
#pragma once

#include <string>
#include <vector>

#include "images_support.h"

namespace berth::test {

struct AnalyzeFixtures {
    std::string layout_dir, layout_tar, docker_tar;
};
const AnalyzeFixtures& analyze_fixtures();

struct LayoutLayer {
    std::string blob;  // as stored (compressed or not)
    std::string tar;   // the uncompressed tar (its sha256 is the DiffID)
    std::string media_type = "application/vnd.oci.image.layer.v1.tar";
    std::string created_by;
};

// Writes an OCI layout for the layers into dir (which must exist); returns the config digest.
// config_extra is merged into the config's "config" object (e.g. {"User":"1000"}).
std::string write_layout(const std::string& dir, const std::vector<LayoutLayer>& layers,
                         const std::string& config_extra_json = "{}");
// A layer from entries: plain tar, or gzip-compressed.
LayoutLayer layer_of(const std::vector<TarEntry>& entries, bool gzip = false,
                     const std::string& created_by = "");

}  // namespace berth::test
