// `image prune` (dangling images, then unused blobs and layers) and `image history` (the
// config's history with per-layer sizes) on the fixture images, as library calls and CLI.
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "berth/file_io.h"
#include "berth/images/history.h"
#include "berth/images/load.h"
#include "berth/images/store.h"
#include "images_support.h"
#include "support/subprocess.h"

namespace berth::test {
namespace {

using images::Digest;
using images::ImageRecord;
using images::Store;

const char* kBusybox = "berth-fixtures/busybox:1";
const char* kMulti = "berth-fixtures/multilayer:1";

class PruneHistory : public ::testing::Test {
  protected:
    void SetUp() override {
        images::load_images(store_, fixtures().busybox_dir);
        images::load_images(store_, fixtures().multilayer_dir);
    }
    Result berth(std::vector<std::string> args) {
        args.insert(args.begin(), {BERTH_BINARY, "--root", dir_ / "root"});
        return run(args, 120);
    }
    // The multilayer image again under "hist:1", with a config whose history has two
    // empty_layer steps between its three layers and a long command line.
    ImageRecord with_history() {
        ImageRecord multi = store_.resolve(kMulti);
        auto config = nlohmann::json::parse(store_.read_blob(multi.id));
        config["history"] = nlohmann::json::array({
            {{"created", "2024-01-01T00:00:00Z"}, {"created_by", "ADD rootfs.tar /"}},
            {{"created", "2024-01-02T00:00:00Z"}, {"created_by", "ENV A=1"}, {"empty_layer", true}},
            {{"created", "2024-01-03T00:00:00Z"},
             {"created_by", "RUN " + std::string(60, 'x')},
             {"comment", "second"}},
            {{"created", "2024-01-04T00:00:00Z"},
             {"created_by", "CMD [\"sh\"]"},
             {"empty_layer", true}},
            {{"created", "2024-01-05T00:00:00Z"}, {"created_by", "RUN zstd layer"}},
        });
        ImageRecord r = multi;
        r.id = store_.put_blob(config.dump());
        r.repo_tags = {"hist:1"};
        r.repo_digests.clear();
        store_.save(r);
        return r;
    }
    TempDir dir_{"berth-prune"};
    Store store_{dir_ / "root"};
};

TEST_F(PruneHistory, PruneRemovesDanglingImagesAndUnusedContent) {
    ImageRecord busybox = store_.resolve(kBusybox);
    ImageRecord multi = store_.resolve(kMulti);
    // busybox loses its only tag to the multilayer image: dangling.
    store_.tag(kMulti, kBusybox);
    Digest orphan = store_.put_blob("no image uses this");
    std::string orphan_layer = store_.layer_path(Digest::of("no layer"));
    ASSERT_EQ(::mkdir(orphan_layer.c_str(), 0700), 0);

    Store::Pruned p = store_.prune();
    EXPECT_EQ(p.images, std::vector<Digest>{busybox.id});
    EXPECT_EQ(p.collected.layers, 1);
    EXPECT_GE(p.collected.blobs, 3);  // busybox's config and manifest, the orphan
    EXPECT_GT(p.collected.blob_bytes, 0u);
    EXPECT_FALSE(store_.has_blob(orphan));
    EXPECT_FALSE(store_.has_blob(busybox.id));
    EXPECT_FALSE(path_exists(orphan_layer));
    // What the tagged image uses stays, including the layer it shares with busybox.
    EXPECT_EQ(store_.images().size(), 1u);
    EXPECT_EQ(store_.resolve(kBusybox).id, multi.id);
    for (const auto& l : multi.layers) {
        EXPECT_TRUE(store_.has_blob(l.blob));
        EXPECT_TRUE(store_.has_layer(l.chain_id));
    }
    EXPECT_TRUE(store_.has_blob(multi.id));
    EXPECT_TRUE(store_.has_blob(multi.manifest));

    Store::Pruned again = store_.prune();
    EXPECT_TRUE(again.images.empty());
    EXPECT_EQ(again.collected.blobs, 0);
    EXPECT_EQ(again.collected.layers, 0);
}

TEST_F(PruneHistory, PruneCli) {
    std::string busybox = store_.resolve(kBusybox).id.str();
    Result nothing = berth({"image", "prune"});
    ASSERT_EQ(nothing.exit_code, 0) << nothing.err;
    EXPECT_EQ(nothing.out.find("Deleted Images"), std::string::npos) << nothing.out;
    EXPECT_EQ(store_.images().size(), 2u);

    ASSERT_EQ(berth({"image", "tag", kMulti, kBusybox}).exit_code, 0);
    Result r = berth({"image", "prune"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("Deleted Images:\ndeleted: " + busybox + "\n"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("Total reclaimed space: "), std::string::npos) << r.out;
    EXPECT_EQ(berth({"image", "ls"}).out.find("<none>"), std::string::npos);
}

TEST_F(PruneHistory, HistoryMatchesLayersAndEmptySteps) {
    ImageRecord r = with_history();
    auto h = images::image_history(store_, r);
    ASSERT_EQ(h.size(), 5u);
    // Newest first; the image ID on top, <missing> below, as docker shows pulled images.
    EXPECT_EQ(h[0].id, r.id.str());
    EXPECT_EQ(h[1].id, "<missing>");
    EXPECT_EQ(h[0].created_by, "RUN zstd layer");
    EXPECT_EQ(h[0].size, r.layers[2].unpacked_size);
    EXPECT_TRUE(h[1].empty_layer);
    EXPECT_EQ(h[1].size, 0u);
    EXPECT_EQ(h[2].size, r.layers[1].unpacked_size);
    EXPECT_EQ(h[2].comment, "second");
    EXPECT_EQ(h[3].size, 0u);
    EXPECT_EQ(h[4].created_by, "ADD rootfs.tar /");
    EXPECT_EQ(h[4].created, "2024-01-01T00:00:00Z");
    EXPECT_EQ(h[4].size, r.layers[0].unpacked_size);
    EXPECT_GT(h[4].size, 0u);

    // The fixtures' configs have no history: one entry per layer, the image's created time.
    auto plain = images::image_history(store_, store_.resolve(kMulti));
    ASSERT_EQ(plain.size(), 3u);
    EXPECT_EQ(plain[2].created, "1970-01-01T00:00:00Z");
    EXPECT_EQ(plain[2].size, store_.resolve(kMulti).layers[0].unpacked_size);
    EXPECT_EQ(plain[0].created_by, "");
}

TEST_F(PruneHistory, HistoryCli) {
    ImageRecord r = with_history();
    Result table = berth({"image", "history", "hist:1"});
    ASSERT_EQ(table.exit_code, 0) << table.err;
    std::istringstream lines(table.out);
    std::vector<std::string> rows;
    for (std::string line; std::getline(lines, line);) rows.push_back(line);
    ASSERT_EQ(rows.size(), 6u) << table.out;
    EXPECT_EQ(rows[0].rfind("IMAGE", 0), 0u);
    EXPECT_EQ(rows[1].rfind(r.id.hex().substr(0, 12) + " ", 0), 0u) << rows[1];
    EXPECT_EQ(rows[2].rfind("<missing>", 0), 0u) << rows[2];
    EXPECT_NE(rows[2].find(" 0B "), std::string::npos) << rows[2];
    EXPECT_NE(rows[2].find("years ago"), std::string::npos) << rows[2];
    // The long command is cut to 45 characters, docker's ellipsis last.
    EXPECT_NE(rows[3].find("RUN " + std::string(40, 'x') + "\u2026"), std::string::npos) << rows[3];
    Result full = berth({"image", "history", "--no-trunc", "hist:1"});
    EXPECT_NE(full.out.find("RUN " + std::string(60, 'x')), std::string::npos) << full.out;
    EXPECT_NE(full.out.find(r.id.str()), std::string::npos) << full.out;

    Result json = berth({"image", "history", "--format", "json", "hist:1"});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    std::istringstream jl(json.out);
    std::vector<nlohmann::json> docs;
    for (std::string line; std::getline(jl, line);) docs.push_back(nlohmann::json::parse(line));
    ASSERT_EQ(docs.size(), 5u);
    EXPECT_EQ(docs[0]["ID"], r.id.str());
    EXPECT_EQ(docs[1]["SizeBytes"], 0);
    EXPECT_EQ(docs[1]["CreatedBy"], "CMD [\"sh\"]");
    EXPECT_EQ(docs[2]["Comment"], "second");
    EXPECT_EQ(docs[4]["CreatedAt"], "2024-01-01T00:00:00Z");
    EXPECT_EQ(docs[4]["SizeBytes"], r.layers[0].unpacked_size);

    Result missing = berth({"image", "history", "nope:1"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_EQ(missing.err, "berth: image nope:1: no such image\n");
}

}  // namespace
}  // namespace berth::test
