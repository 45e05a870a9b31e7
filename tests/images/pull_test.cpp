// berth pull against a real docker-registry on loopback holding the fixture images: the
// pulled image is the loaded one, digests are verified, errors name the registry's answer and
// a failed pull leaves nothing in the store.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "berth/error.h"
#include "berth/images/load.h"
#include "berth/images/pull.h"
#include "berth/images/reference.h"
#include "berth/images/store.h"
#include "images_support.h"
#include "registry_fixture.h"
#include "support/subprocess.h"

namespace berth::test {
namespace {

using images::Digest;
using images::ImageRecord;
using images::PullOptions;
using images::PullResult;
using images::Store;

// The manifest digest of a fixture layout, and its layer digests from that manifest.
Digest layout_manifest(const std::string& layout) {
    auto index = nlohmann::json::parse(slurp(layout + "/index.json"));
    return Digest::parse(index["manifests"][0]["digest"].get<std::string>());
}

std::vector<std::string> layout_layers(const std::string& layout) {
    Digest m = layout_manifest(layout);
    auto manifest = nlohmann::json::parse(slurp(layout + "/blobs/sha256/" + m.hex()));
    std::vector<std::string> out;
    for (const auto& l : manifest["layers"]) out.push_back(l["digest"].get<std::string>());
    return out;
}

size_t count(const std::string& haystack, const std::string& needle) {
    size_t n = 0;
    for (size_t at = haystack.find(needle); at != std::string::npos;
         at = haystack.find(needle, at + 1))
        ++n;
    return n;
}

PullOptions insecure() {
    PullOptions o;
    o.insecure = true;
    return o;
}

class Pull : public ::testing::Test {
  protected:
    static void SetUpTestSuite() { registry_ = std::make_unique<Registry>(); }
    static void TearDownTestSuite() { registry_.reset(); }

    std::string ref(const std::string& name) { return registry_->host() + "/" + name; }
    // Only these may exist in a store a pull failed on: the dirs the Store itself makes.
    void expect_empty_store() {
        EXPECT_TRUE(store_.images().empty());
        EXPECT_EQ(list_tree(dir_ / "root/layers"), std::vector<std::string>{});
        EXPECT_EQ(list_tree(dir_ / "root/blobs/sha256"), std::vector<std::string>{});
        EXPECT_EQ(list_tree(dir_ / "root/tmp"), std::vector<std::string>{});
    }

    static std::unique_ptr<Registry> registry_;
    TempDir dir_{"berth-pull"};
    Store store_{dir_ / "root"};
};

std::unique_ptr<Registry> Pull::registry_;

void expect_same_image(const ImageRecord& pulled, const ImageRecord& loaded) {
    EXPECT_EQ(pulled.id, loaded.id);
    EXPECT_EQ(pulled.manifest, loaded.manifest);
    ASSERT_EQ(pulled.layers.size(), loaded.layers.size());
    for (size_t i = 0; i < pulled.layers.size(); ++i) {
        EXPECT_EQ(pulled.layers[i].blob, loaded.layers[i].blob) << i;
        EXPECT_EQ(pulled.layers[i].media_type, loaded.layers[i].media_type) << i;
        EXPECT_EQ(pulled.layers[i].blob_size, loaded.layers[i].blob_size) << i;
        EXPECT_EQ(pulled.layers[i].diff_id, loaded.layers[i].diff_id) << i;
        EXPECT_EQ(pulled.layers[i].chain_id, loaded.layers[i].chain_id) << i;
        EXPECT_EQ(pulled.layers[i].unpacked_size, loaded.layers[i].unpacked_size) << i;
    }
}

TEST_F(Pull, PulledImagesEqualLoadedOnes) {
    PullResult busybox = images::pull_image(store_, ref("berth/busybox:1"), insecure());
    PullResult multi = images::pull_image(store_, ref("berth/multilayer:1"), insecure());
    EXPECT_EQ(busybox.blobs_downloaded, 2);  // config + layer
    // The multilayer image's bottom layer is busybox's: already there.
    EXPECT_EQ(multi.blobs_downloaded, 3);
    EXPECT_EQ(multi.blobs_skipped, 1);
    EXPECT_EQ(busybox.image.repo_tags, std::vector<std::string>{ref("berth/busybox:1")});
    EXPECT_EQ(busybox.image.repo_digests,
              std::vector<std::string>{ref("berth/busybox@") + busybox.resolved.str()});

    TempDir other("berth-pull-load");
    Store loaded_store(other / "root");
    auto lb = images::load_images(loaded_store, fixtures().busybox_dir);
    auto lm = images::load_images(loaded_store, fixtures().multilayer_dir);
    expect_same_image(busybox.image, lb.images.at(0));
    expect_same_image(multi.image, lm.images.at(0));
    // The unpacked trees are the same files too.
    for (const auto& layer : multi.image.layers)
        EXPECT_EQ(list_tree(store_.layer_path(layer.chain_id)),
                  list_tree(loaded_store.layer_path(layer.chain_id)));
    EXPECT_EQ(store_.resolve(ref("berth/multilayer:1")).id, lm.images.at(0).id);
}

TEST_F(Pull, ByDigest) {
    Digest manifest = layout_manifest(fixtures().busybox_dir);
    PullResult r = images::pull_image(store_, ref("berth/busybox@" + manifest.str()), insecure());
    EXPECT_EQ(r.resolved, manifest);
    EXPECT_EQ(r.image.manifest, manifest);
    EXPECT_TRUE(r.image.repo_tags.empty());
    EXPECT_EQ(store_.resolve(ref("berth/busybox@" + manifest.str())).id, r.image.id);

    Digest absent = Digest::of("no such manifest");
    try {
        images::pull_image(store_, ref("berth/busybox@" + absent.str()), insecure());
        FAIL() << "pulled an absent digest";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("(404 MANIFEST_UNKNOWN)"), std::string::npos)
            << e.what();
    }
}

TEST_F(Pull, MissingTagNamesStatusAndCode) {
    try {
        images::pull_image(store_, ref("berth/busybox:nope"), insecure());
        FAIL() << "pulled a missing tag";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "pull " + ref("berth/busybox:nope") +
                                             ": manifest unknown (404 MANIFEST_UNKNOWN)");
    }
    expect_empty_store();
}

TEST_F(Pull, PlatformFromIndex) {
    PullOptions arm = insecure();
    images::parse_platform("linux/arm64", arm);
    PullResult r = images::pull_image(store_, ref("berth/multiarch:1"), arm);
    EXPECT_EQ(r.image.manifest, layout_manifest(fixtures().multilayer_dir));
    EXPECT_NE(r.resolved, r.image.manifest);  // the index's digest
    PullResult amd = images::pull_image(store_, ref("berth/multiarch:1"), insecure());
    EXPECT_EQ(amd.image.manifest, layout_manifest(fixtures().busybox_dir));
}

TEST_F(Pull, UnknownPlatformRefused) {
    PullOptions s390x = insecure();
    images::parse_platform("linux/s390x", s390x);
    try {
        images::pull_image(store_, ref("berth/multiarch:1"), s390x);
        FAIL() << "pulled for an absent platform";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("no image for platform linux/s390x (available: "
                                             "linux/amd64, linux/arm64/v8)"),
                  std::string::npos)
            << e.what();
    }
    // A single-platform image is checked against its config.
    EXPECT_THROW(images::pull_image(store_, ref("berth/busybox:1"), s390x), Error);
    expect_empty_store();
}

TEST_F(Pull, SecondPullDownloadsNoBlob) {
    PullResult first = images::pull_image(store_, ref("berth/multilayer:1"), insecure());
    EXPECT_EQ(first.blobs_downloaded, 4);
    size_t blob_gets = count(registry_->log(), "\"GET /v2/berth/multilayer/blobs/");
    PullResult second = images::pull_image(store_, ref("berth/multilayer:1"), insecure());
    EXPECT_EQ(second.blobs_downloaded, 0);
    EXPECT_EQ(second.bytes_downloaded, 0u);
    EXPECT_EQ(second.blobs_skipped, 4);
    EXPECT_EQ(second.image.id, first.image.id);
    // The registry's own access log agrees: no blob was requested again.
    EXPECT_EQ(count(registry_->log(), "\"GET /v2/berth/multilayer/blobs/"), blob_gets);
}

// Restores a registry blob file it tampered with, even when the test fails.
class Tamper {
  public:
    explicit Tamper(std::string path) : path_(std::move(path)), original_(slurp(path_)) {
        std::string bad = original_;
        bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x55);  // same size
        spit(path_, bad);
    }
    ~Tamper() { spit(path_, original_); }
    Tamper(const Tamper&) = delete;
    Tamper& operator=(const Tamper&) = delete;

  private:
    std::string path_, original_;
};

TEST_F(Pull, CorruptBlobRejectedAndNothingStored) {
    // The zstd layer only the multilayer image has.
    std::string layer = layout_layers(fixtures().multilayer_dir).at(2);
    Digest digest = Digest::parse(layer);
    Tamper tamper(registry_->blob_file(digest.hex()));
    try {
        images::pull_image(store_, ref("berth/multilayer:1"), insecure());
        FAIL() << "a corrupted blob was accepted";
    } catch (const Error& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("layer " + digest.str() + ": digest mismatch"), std::string::npos)
            << msg;
    }
    expect_empty_store();
}

TEST(PullAuth, BasicCredentials) {
    Registry registry(true);
    TempDir dir("berth-pull-auth");
    Store store(dir / "root");
    std::string ref = registry.host() + "/berth/busybox:1";
    PullOptions o = insecure();
    try {
        images::pull_image(store, ref, o);
        FAIL() << "pulled without credentials";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("wants Basic credentials (401)"), std::string::npos)
            << e.what();
    }
    o.username = "berth";
    o.password = "wrong";
    try {
        images::pull_image(store, ref, o);
        FAIL() << "pulled with a wrong password";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "pull " + ref + ": registry " + registry.host() + ": credentials refused (401)");
    }
    EXPECT_TRUE(store.images().empty());
    o.password = "berth-secret";
    PullResult r = images::pull_image(store, ref, o);
    EXPECT_EQ(r.image.manifest, layout_manifest(fixtures().busybox_dir));
}

class PullCli : public Pull {
  protected:
    Result berth(std::vector<std::string> args) {
        args.insert(args.begin(), {BERTH_BINARY, "--root", dir_ / "root"});
        return run(args, 120);
    }
};

TEST_F(PullCli, PullListAndErrors) {
    Result r = berth({"pull", "--insecure", ref("berth/busybox:1")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Not a terminal: plain lines, one per blob.
    EXPECT_EQ(count(r.out, ": pulled "), 2u) << r.out;
    EXPECT_EQ(r.out.find('\033'), std::string::npos);
    EXPECT_NE(r.out.find("Image ID: sha256:"), std::string::npos) << r.out;

    Result quiet = berth({"pull", "--insecure", "-q", ref("berth/busybox:1")});
    ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
    EXPECT_EQ(quiet.out, store_.resolve(ref("berth/busybox:1")).id.str() + "\n");

    Result ls = berth({"image", "ls"});
    EXPECT_NE(ls.out.find(ref("berth/busybox:1")), std::string::npos) << ls.out;

    Result missing = berth({"pull", "--insecure", ref("berth/busybox:nope")});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_EQ(missing.err, "berth: pull " + ref("berth/busybox:nope") +
                               ": manifest unknown (404 MANIFEST_UNKNOWN)\n");
    // Without --insecure, https is tried and the way out is named.
    Result https = berth({"pull", ref("berth/busybox:1")});
    EXPECT_EQ(https.exit_code, 1);
    EXPECT_NE(https.err.find("use --insecure"), std::string::npos) << https.err;
    Result bare = berth({"pull", "busybox"});
    EXPECT_EQ(bare.exit_code, 1);
    EXPECT_NE(bare.err.find("no registry in reference"), std::string::npos) << bare.err;
}

TEST(Reference, Parse) {
    auto r = images::parse_reference("127.0.0.1:5000/berth/busybox:1");
    EXPECT_EQ(r.registry, "127.0.0.1:5000");
    EXPECT_EQ(r.repository, "berth/busybox");
    EXPECT_EQ(r.tag, "1");
    r = images::parse_reference("localhost/x");
    EXPECT_EQ(r.tag, "latest");
    std::string d = Digest::of("x").str();
    r = images::parse_reference("reg.example:443/a/b@" + d);
    EXPECT_EQ(r.tag, "");
    EXPECT_EQ(r.manifest_ref(), d);
    EXPECT_THROW(images::parse_reference("busybox"), Error);
    EXPECT_THROW(images::parse_reference("library/busybox:1"), Error);
    EXPECT_THROW(images::parse_reference("reg.example/UPPER:1"), Error);
    EXPECT_THROW(images::parse_reference("reg.example/a:b/../c"), Error);
    EXPECT_THROW(images::parse_reference("reg.example/a:bad tag"), Error);
}

}  // namespace
}  // namespace berth::test
