#include "analyze_support.h"

#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "support/subprocess.h"

namespace berth::test {
namespace {

class AnalyzeEnvironment : public ::testing::Environment {
  public:
    void SetUp() override {
        std::string dir;
        if (const char* prebuilt = getenv("BERTH_ANALYZE_FIXTURES")) {  // set by ctest
            dir = prebuilt;
        } else {
            own_ = "/tmp/berth-analyze-fixtures-XXXXXX";
            if (!mkdtemp(own_.data())) throw std::runtime_error("mkdtemp failed");
            dir = own_;
            build(own_);
        }
        f_ = {dir + "/layout", dir + "/layout.tar", dir + "/docker.tar"};
    }
    void TearDown() override {
        if (own_.empty()) return;
        std::error_code ec;
        std::filesystem::remove_all(own_, ec);
    }
    static void build(const std::string& dir) {
        for (auto [format, dest] : {std::pair{"oci", "layout"}, std::pair{"oci", "layout.tar"},
                                    std::pair{"docker", "docker.tar"}}) {
            Result r =
                run({"/bin/bash", BERTH_ANALYZE_IMAGE_SCRIPT, format, dir + "/" + dest}, 120);
            if (r.exit_code != 0) throw std::runtime_error("analyze-image.sh: " + r.err);
        }
    }
    std::string own_;
    AnalyzeFixtures f_;
};

// Under ctest the image tests' fixtures were built next to ours; images_support reads this
// variable when the tests start, long after static initialisation.
const bool oci_fixtures_set = [] {
    const char* ours = getenv("BERTH_ANALYZE_FIXTURES");
    if (ours && !getenv("BERTH_OCI_FIXTURES"))
        setenv("BERTH_OCI_FIXTURES", (std::string(ours) + "/oci").c_str(), 0);
    return true;
}();

AnalyzeEnvironment* environment =
    static_cast<AnalyzeEnvironment*>(::testing::AddGlobalTestEnvironment(new AnalyzeEnvironment));

std::string put_blob(const std::string& dir, const std::string& data) {
    std::string hex = sha256_hex(data);
    spit(dir + "/blobs/sha256/" + hex, data);
    return hex;
}

}  // namespace

const AnalyzeFixtures& analyze_fixtures() {
    return environment->f_;
}

LayoutLayer layer_of(const std::vector<TarEntry>& entries, bool gzip,
                     const std::string& created_by) {
    LayoutLayer l;
    l.tar = make_tar(entries, false);
    l.blob = gzip ? make_tar(entries, true) : l.tar;
    if (gzip) l.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
    l.created_by = created_by;
    return l;
}

std::string write_layout(const std::string& dir, const std::vector<LayoutLayer>& layers,
                         const std::string& config_extra_json) {
    std::filesystem::create_directories(dir + "/blobs/sha256");
    nlohmann::json config = {
        {"architecture", "amd64"},
        {"os", "linux"},
        {"config", nlohmann::json::parse(config_extra_json)},
        {"rootfs", {{"type", "layers"}, {"diff_ids", nlohmann::json::array()}}},
        {"history", nlohmann::json::array()}};
    nlohmann::json manifest = {{"schemaVersion", 2},
                               {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                               {"layers", nlohmann::json::array()}};
    for (const LayoutLayer& l : layers) {
        config["rootfs"]["diff_ids"].push_back("sha256:" + sha256_hex(l.tar));
        config["history"].push_back({{"created_by", l.created_by}});
        std::string hex = put_blob(dir, l.blob);
        manifest["layers"].push_back(
            {{"mediaType", l.media_type}, {"digest", "sha256:" + hex}, {"size", l.blob.size()}});
    }
    std::string config_text = config.dump();
    std::string config_hex = put_blob(dir, config_text);
    manifest["config"] = {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                          {"digest", "sha256:" + config_hex},
                          {"size", config_text.size()}};
    std::string manifest_text = manifest.dump();
    std::string manifest_hex = put_blob(dir, manifest_text);
    nlohmann::json index = {
        {"schemaVersion", 2},
        {"manifests",
         {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
           {"digest", "sha256:" + manifest_hex},
           {"size", manifest_text.size()},
           {"annotations", {{"org.opencontainers.image.ref.name", "test/analyze:1"}}}}}}};
    spit(dir + "/index.json", index.dump());
    spit(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    return "sha256:" + config_hex;
}

}  // namespace berth::test
