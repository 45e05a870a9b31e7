// Loading OCI layouts (dir and tar) and docker save archives into a store: digests verified,
// layers unpacked once by ChainID and shared, records, tags and removal.
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "berth/error.h"
#include "berth/images/load.h"
#include "berth/images/store.h"
#include "images_support.h"

namespace berth::test {
namespace {

using images::Digest;
using images::ImageRecord;
using images::LoadResult;
using images::Store;

// A `docker save`-style archive: manifest.json, <config hex>.json, <id>/layer.tar.
// Layer i listed in `links` is stored as a symlink to layer links[i]'s file (as docker does
// for identical layers).
std::string docker_archive(const std::vector<std::string>& layers,
                           const std::vector<std::string>& tags, bool lie_about_diff = false,
                           std::map<size_t, size_t> links = {}) {
    nlohmann::json diff_ids = nlohmann::json::array();
    for (const std::string& l : layers) diff_ids.push_back("sha256:" + sha256_hex(l));
    if (lie_about_diff) diff_ids[0] = "sha256:" + sha256_hex("something else");
    std::string config = nlohmann::json{{"architecture", "amd64"},
                                        {"os", "linux"},
                                        {"created", "2024-01-02T03:04:05Z"},
                                        {"config", {{"Cmd", {"/bin/hello"}}}},
                                        {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}}
                             .dump();
    std::string config_name = sha256_hex(config) + ".json";
    std::vector<TarEntry> entries;
    nlohmann::json layer_names = nlohmann::json::array();
    for (size_t i = 0; i < layers.size(); ++i) {
        std::string id = sha256_hex(layers[i] + std::to_string(i));
        entries.push_back({.name = id, .type = 'd', .mode = 0755});
        if (links.count(i)) {
            std::string target = sha256_hex(layers[links[i]] + std::to_string(links[i]));
            entries.push_back(
                {.name = id + "/layer.tar", .type = 'l', .data = "../" + target + "/layer.tar"});
        } else {
            entries.push_back({.name = id + "/layer.tar", .data = layers[i]});
        }
        layer_names.push_back(id + "/layer.tar");
    }
    entries.push_back({.name = config_name, .data = config});
    nlohmann::json manifest = nlohmann::json::array(
        {{{"Config", config_name}, {"RepoTags", tags}, {"Layers", layer_names}}});
    entries.push_back({.name = "manifest.json", .data = manifest.dump()});
    return make_tar(entries);
}

// The manifest digest the fixture's index.json names.
Digest fixture_manifest(const std::string& layout) {
    auto index = nlohmann::json::parse(slurp(layout + "/index.json"));
    return Digest::parse(index["manifests"][0]["digest"].get<std::string>());
}

class Load : public ::testing::Test {
  protected:
    std::vector<std::string> entries(const std::string& sub) {
        return list_tree(dir_ / ("root/" + sub));
    }
    TempDir dir_{"berth-load"};
    Store store_{dir_ / "root"};
};

TEST_F(Load, OciLayoutDirectory) {
    LoadResult r = images::load_images(store_, fixtures().multilayer_dir);
    ASSERT_EQ(r.images.size(), 1u);
    const ImageRecord& image = r.images[0];
    EXPECT_EQ(image.repo_tags, std::vector<std::string>{"berth-fixtures/multilayer:1"});
    EXPECT_EQ(image.manifest, fixture_manifest(fixtures().multilayer_dir));
    ASSERT_EQ(image.layers.size(), 3u);
    EXPECT_EQ(r.layers_unpacked, 3);
    // ChainIDs follow the spec's recurrence over the config's diff_ids.
    EXPECT_EQ(image.layers[0].chain_id, image.layers[0].diff_id);
    EXPECT_EQ(image.layers[2].chain_id,
              images::chain_id(image.layers[1].chain_id, image.layers[2].diff_id));
    for (const auto& l : image.layers) EXPECT_TRUE(store_.has_layer(l.chain_id));
    EXPECT_EQ(store_.resolve("berth-fixtures/multilayer:1").id, image.id);
    EXPECT_EQ(store_.resolve(image.id.hex().substr(0, 12)).id, image.id);
    EXPECT_EQ(slurp(store_.layer_path(image.layers[0].chain_id) + "/etc/group").substr(0, 7),
              "root:x:");
    EXPECT_TRUE(entries("tmp").empty()) << "staging is cleaned up";
}

TEST_F(Load, OciLayoutTarGivesTheSameImageAsTheDirectory) {
    LoadResult from_tar = images::load_images(store_, fixtures().multilayer_tar);
    TempDir other("berth-load-dir");
    Store store2(other / "root");
    LoadResult from_dir = images::load_images(store2, fixtures().multilayer_dir);
    ASSERT_EQ(from_tar.images.size(), 1u);
    EXPECT_EQ(from_tar.images[0].id, from_dir.images[0].id);
    EXPECT_EQ(from_tar.images[0].manifest, from_dir.images[0].manifest);
    EXPECT_EQ(from_tar.images[0].repo_tags, from_dir.images[0].repo_tags);
    EXPECT_TRUE(entries("tmp").empty());
}

TEST_F(Load, DockerSaveArchive) {
    std::string base = make_tar({{.name = "bin/", .type = 'd', .mode = 0755},
                                 {.name = "bin/hello", .data = "hi", .mode = 0755},
                                 {.name = "etc/old", .data = "old"}});
    std::string top =
        make_tar({{.name = "etc/.wh.old", .data = ""}, {.name = "etc/new", .data = "new"}});
    spit(dir_ / "save.tar",
         docker_archive({base, top, base}, {"hello:v1", "hello"}, false, {{2, 0}}));
    LoadResult r = images::load_images(store_, dir_ / "save.tar");
    ASSERT_EQ(r.images.size(), 1u);
    const ImageRecord& image = r.images[0];
    EXPECT_EQ(image.repo_tags, (std::vector<std::string>{"hello:v1", "hello:latest"}));
    ASSERT_EQ(image.layers.size(), 3u);
    EXPECT_EQ(image.layers[0].blob, image.layers[2].blob) << "the symlinked layer file";
    EXPECT_NE(image.layers[0].chain_id, image.layers[2].chain_id);
    EXPECT_EQ(r.layers_unpacked, 3);
    EXPECT_EQ(slurp(store_.layer_path(image.layers[0].chain_id) + "/bin/hello"), "hi");
    struct stat st;
    ASSERT_EQ(::lstat((store_.layer_path(image.layers[1].chain_id) + "/etc/old").c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    // docker save carries no manifest: one is synthesised and stored, so the image has one.
    EXPECT_TRUE(store_.has_blob(image.manifest));
    EXPECT_EQ(store_.resolve("hello").id, image.id);
}

TEST_F(Load, CorruptedLayerBlobIsRejectedNamingTheDigest) {
    std::filesystem::copy(fixtures().multilayer_dir, dir_ / "bad",
                          std::filesystem::copy_options::recursive);
    auto manifest = nlohmann::json::parse(
        slurp(dir_ / ("bad/blobs/sha256/" + fixture_manifest(dir_ / "bad").hex())));
    std::string digest = manifest["layers"][1]["digest"];
    std::string blob = dir_ / ("bad/blobs/sha256/" + digest.substr(7));
    spit(blob, slurp(blob) + "x");
    try {
        images::load_images(store_, dir_ / "bad");
        ADD_FAILURE() << "corrupted blob accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("blob " + digest), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("digest mismatch"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(store_.images().empty());
    EXPECT_FALSE(store_.has_blob(Digest::parse(digest)));
    EXPECT_TRUE(entries("layers").empty());
}

TEST_F(Load, CorruptedManifestOrConfigIsRejected) {
    std::filesystem::copy(fixtures().busybox_dir, dir_ / "bad",
                          std::filesystem::copy_options::recursive);
    Digest m = fixture_manifest(dir_ / "bad");
    std::string path = dir_ / ("bad/blobs/sha256/" + m.hex());
    std::string original = slurp(path);
    spit(path, original + " ");
    try {
        images::load_images(store_, dir_ / "bad");
        ADD_FAILURE() << "corrupted manifest accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("manifest " + m.str()), std::string::npos) << e.what();
    }
    spit(path, original);
    auto manifest = nlohmann::json::parse(original);
    std::string config = manifest["config"]["digest"];
    std::string config_path = dir_ / ("bad/blobs/sha256/" + config.substr(7));
    spit(config_path, slurp(config_path) + " ");
    try {
        images::load_images(store_, dir_ / "bad");
        ADD_FAILURE() << "corrupted config accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(config), std::string::npos) << e.what();
    }
    EXPECT_TRUE(store_.images().empty());
}

TEST_F(Load, DiffIdMismatchLeavesNoLayer) {
    std::string layer = make_tar({{.name = "f", .data = "x"}});
    spit(dir_ / "save.tar", docker_archive({layer}, {"liar:1"}, /*lie_about_diff=*/true));
    try {
        images::load_images(store_, dir_ / "save.tar");
        ADD_FAILURE() << "a layer not matching its DiffID was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("DiffID mismatch"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(entries("layers").empty());
    EXPECT_TRUE(store_.images().empty());
}

TEST_F(Load, HostileLayerInAnArchiveIsRejectedAndLeavesNothing) {
    std::string layer = make_tar({{.name = "../escape", .data = "x"}});
    spit(dir_ / "save.tar", docker_archive({layer}, {"evil:1"}));
    try {
        images::load_images(store_, dir_ / "save.tar");
        ADD_FAILURE() << "hostile layer accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("entry ../escape"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(entries("layers").empty());
    EXPECT_FALSE(std::filesystem::exists(dir_ / "root/escape"));
    EXPECT_FALSE(std::filesystem::exists(dir_ / "escape"));
}

TEST_F(Load, SecondLoadReusesLayers) {
    LoadResult first = images::load_images(store_, fixtures().multilayer_dir);
    struct stat before;
    std::string base = store_.layer_path(first.images[0].layers[0].chain_id);
    ASSERT_EQ(::stat(base.c_str(), &before), 0);
    // busybox's only layer is multilayer's base layer: nothing new to unpack.
    LoadResult busybox = images::load_images(store_, fixtures().busybox_dir);
    EXPECT_EQ(busybox.layers_unpacked, 0);
    EXPECT_EQ(busybox.layers_reused, 1);
    LoadResult again = images::load_images(store_, fixtures().multilayer_tar);
    EXPECT_EQ(again.layers_unpacked, 0);
    EXPECT_EQ(again.layers_reused, 3);
    EXPECT_EQ(again.images[0].id, first.images[0].id);
    struct stat after;
    ASSERT_EQ(::stat(base.c_str(), &after), 0);
    EXPECT_EQ(before.st_ino, after.st_ino) << "the layer dir was not recreated";
    EXPECT_EQ(store_.images().size(), 2u);
}

TEST_F(Load, RemoveFreesOnlyWhatNoOtherImageUses) {
    ImageRecord multi = images::load_images(store_, fixtures().multilayer_dir).images[0];
    ImageRecord busybox = images::load_images(store_, fixtures().busybox_dir).images[0];
    store_.tag("berth-fixtures/busybox:1", "mybox");
    EXPECT_EQ(store_.remove("mybox"), std::vector<std::string>{"Untagged: mybox:latest"});
    EXPECT_THROW(store_.remove("berth-fixtures/nope:1"), Error);

    store_.remove("berth-fixtures/multilayer:1");
    EXPECT_FALSE(store_.find("berth-fixtures/multilayer:1"));
    EXPECT_TRUE(store_.has_layer(busybox.layers[0].chain_id)) << "shared base layer kept";
    EXPECT_FALSE(store_.has_layer(multi.layers[2].chain_id));
    EXPECT_FALSE(store_.has_blob(multi.layers[2].blob));
    EXPECT_FALSE(store_.has_blob(multi.manifest));
    EXPECT_TRUE(store_.has_blob(busybox.layers[0].blob));

    store_.remove(busybox.id.str());
    EXPECT_TRUE(entries("layers").empty());
    EXPECT_TRUE(entries("blobs/sha256").empty());
    EXPECT_TRUE(entries("images").empty());
}

TEST_F(Load, ATagNamesOneImage) {
    images::load_images(store_, fixtures().multilayer_dir);
    images::load_images(store_, fixtures().busybox_dir);
    store_.tag("berth-fixtures/busybox:1", "box:x");
    store_.tag("berth-fixtures/multilayer:1", "box:x");
    EXPECT_EQ(store_.resolve("box:x").id, store_.resolve("berth-fixtures/multilayer:1").id);
    EXPECT_EQ(store_.resolve("berth-fixtures/busybox:1").repo_tags.size(), 1u);
}

TEST_F(Load, LeftoversOfACrashAreRemovedAndNeverUsed) {
    // What a load killed mid-way leaves: a half-unpacked layer under a temp name and staging.
    std::filesystem::create_directories(dir_ / "root/layers/.tmp-abc-123456/etc");
    std::filesystem::create_directories(dir_ / "root/tmp/load-XYZ");
    spit(dir_ / "root/tmp/load-XYZ/1", "partial");
    LoadResult r = images::load_images(store_, fixtures().busybox_dir);
    EXPECT_EQ(r.layers_unpacked, 1);
    for (const std::string& name : entries("layers")) EXPECT_NE(name.rfind(".tmp-", 0), 0u);
    EXPECT_TRUE(entries("tmp").empty());
}

TEST_F(Load, CompressedArchiveBombIsRejected) {
    std::string bomb = make_tar({{.name = "manifest.json", .data = "[]"},
                                 {.name = "zeros", .data = std::string(4 << 20, '\0')}},
                                /*gzip=*/true);
    spit(dir_ / "bomb.tar.gz", bomb);
    images::LoadOptions options;
    options.unpack.max_bytes = 1 << 20;
    try {
        images::load_images(store_, dir_ / "bomb.tar.gz", options);
        ADD_FAILURE() << "bomb accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("decompression bomb"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(entries("tmp").empty());
}

TEST_F(Load, NotAnImageArchive) {
    spit(dir_ / "junk.tar", make_tar({{.name = "hello", .data = "x"}}));
    EXPECT_THROW(images::load_images(store_, dir_ / "junk.tar"), Error);
    spit(dir_ / "garbage", std::string(10000, 'g'));
    EXPECT_THROW(images::load_images(store_, dir_ / "garbage"), Error);
    EXPECT_TRUE(entries("tmp").empty());
}

}  // namespace
}  // namespace berth::test
