// Every input format gives the same analysis of the same image: the store (after a load),
// a docker save archive, an OCI layout tar, an OCI layout directory and a real registry
// (docker-registry on loopback, the fixture pushed with skopeo).
#include <gtest/gtest.h>

#include "analyze_support.h"
#include "berth/error.h"
#include "berth/images/analyze.h"
#include "berth/images/load.h"
#include "berth/images/store.h"
#include "expected.h"
#include "registry_fixture.h"
#include "support/subprocess.h"

namespace berth::test {
namespace {

using images::ImageAnalysis;

// What must not depend on where the image came from (compressed sizes and blob digests do:
// a docker save archive holds uncompressed layers).
void expect_same(const ImageAnalysis& a, const ImageAnalysis& b) {
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.size_bytes, b.size_bytes);
    EXPECT_EQ(a.user_size_bytes, b.user_size_bytes);
    EXPECT_EQ(a.wasted_bytes, b.wasted_bytes);
    EXPECT_DOUBLE_EQ(a.efficiency, b.efficiency);
    EXPECT_DOUBLE_EQ(a.user_wasted_percent, b.user_wasted_percent);
    EXPECT_EQ(a.files, b.files);
    ASSERT_EQ(a.layers.size(), b.layers.size());
    for (size_t i = 0; i < a.layers.size(); ++i) {
        SCOPED_TRACE("layer " + std::to_string(i));
        EXPECT_EQ(a.layers[i].diff_id, b.layers[i].diff_id);
        EXPECT_EQ(a.layers[i].uncompressed_bytes, b.layers[i].uncompressed_bytes);
        EXPECT_EQ(a.layers[i].size_bytes, b.layers[i].size_bytes);
        EXPECT_EQ(a.layers[i].command, b.layers[i].command);
        EXPECT_EQ(a.layers[i].added.files, b.layers[i].added.files);
        EXPECT_EQ(a.layers[i].modified.bytes, b.layers[i].modified.bytes);
        EXPECT_EQ(a.layers[i].removed.files, b.layers[i].removed.files);
        EXPECT_EQ(a.layers[i].removed.bytes, b.layers[i].removed.bytes);
    }
    ASSERT_EQ(a.wasted.size(), b.wasted.size());
    for (size_t i = 0; i < a.wasted.size(); ++i) EXPECT_EQ(a.wasted[i].path, b.wasted[i].path);
    ASSERT_EQ(a.hints.size(), b.hints.size());
    for (size_t i = 0; i < a.hints.size(); ++i) EXPECT_EQ(a.hints[i].bytes, b.hints[i].bytes);
}

TEST(AnalyzeSources, StoreArchivesAndLayoutAgree) {
    const AnalyzeFixtures& f = analyze_fixtures();
    ImageAnalysis layout = images::analyze_layout(f.layout_dir, {});
    EXPECT_EQ(layout.wasted_bytes, expected::kWasted);  // anchored to the hand-made numbers
    EXPECT_EQ(layout.source, "layout");

    ImageAnalysis oci_tar = images::analyze_archive(f.layout_tar, {});
    EXPECT_EQ(oci_tar.source, "archive");
    expect_same(layout, oci_tar);
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(layout.layers[i].digest, oci_tar.layers[i].digest);
        EXPECT_EQ(layout.layers[i].compressed_bytes, oci_tar.layers[i].compressed_bytes);
    }

    ImageAnalysis docker = images::analyze_archive(f.docker_tar, {});
    expect_same(layout, docker);
    for (size_t i = 0; i < 4; ++i) {
        // docker save layers are the uncompressed tars: blob digest = DiffID.
        EXPECT_EQ(docker.layers[i].digest, docker.layers[i].diff_id);
        EXPECT_EQ(docker.layers[i].compressed_bytes, docker.layers[i].uncompressed_bytes);
    }

    TempDir dir("berth-analyze-store");
    images::Store store(dir / "root");
    images::load_images(store, f.layout_tar);
    ImageAnalysis stored = images::analyze_stored(store, "berth-fixtures/analyze:1", {});
    EXPECT_EQ(stored.source, "store");
    expect_same(layout, stored);
    EXPECT_EQ(stored.manifest, layout.manifest);
    // One layer at a time gives the same result as the default two.
    images::AnalyzeOptions serial;
    serial.parallel = 1;
    expect_same(layout, images::analyze_stored(store, "berth-fixtures/analyze:1", serial));
}

TEST(AnalyzeSources, DockerArchiveLoadedIntoTheStoreToo) {
    TempDir dir("berth-analyze-store");
    images::Store store(dir / "root");
    images::load_images(store, analyze_fixtures().docker_tar);
    expect_same(images::analyze_archive(analyze_fixtures().docker_tar, {}),
                images::analyze_stored(store, "berth-fixtures/analyze:1", {}));
}

TEST(AnalyzeSources, RemoteStreamsFromARegistryWithoutAStore) {
    Registry registry;
    std::string ref = registry.host() + "/berth/analyze:1";
    Result push =
        run({"/usr/bin/skopeo", "copy", "-q", "--preserve-digests", "--dest-tls-verify=false",
             "oci:" + analyze_fixtures().layout_dir + ":1", "docker://" + ref},
            120);
    ASSERT_EQ(push.exit_code, 0) << push.err;
    images::AnalyzeOptions o;
    o.remote.insecure = true;
    ImageAnalysis remote = images::analyze_remote(ref, o);
    EXPECT_EQ(remote.source, "remote");
    ImageAnalysis layout = images::analyze_layout(analyze_fixtures().layout_dir, {});
    expect_same(layout, remote);
    EXPECT_EQ(remote.manifest, layout.manifest);
    for (size_t i = 0; i < 4; ++i)
        EXPECT_EQ(remote.layers[i].compressed_bytes, layout.layers[i].compressed_bytes);

    // Errors name what the registry said; nothing needs a store for any of it.
    try {
        images::analyze_remote(registry.host() + "/berth/analyze:nope", o);
        ADD_FAILURE() << "a missing tag was analyzed";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("MANIFEST_UNKNOWN"), std::string::npos) << e.what();
    }
    // A tampered blob in the registry's storage is caught by the digest check.
    std::string layer1 = layout.layers[1].digest.hex();
    std::string data = slurp(registry.blob_file(layer1));
    data[data.size() / 2] ^= 1;
    spit(registry.blob_file(layer1), data);
    try {
        images::analyze_remote(ref, o);
        ADD_FAILURE() << "a tampered layer was analyzed";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("mismatch"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace berth::test
