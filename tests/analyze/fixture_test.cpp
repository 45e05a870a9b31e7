// The analyze fixture (rootfs-fixtures/analyze-image.sh) against numbers worked out here by
// hand from the file sizes the script writes, with dive's definitions
// (/work/shared/reference/images.md): nothing below is copied from berth's own output.
#include <gtest/gtest.h>

#include "analyze_support.h"
#include "berth/error.h"
#include "berth/images/analyze.h"
#include "berth/images/load.h"
#include "expected.h"

namespace berth::test {
namespace {

using images::AnalyzeOptions;
using images::ImageAnalysis;

const images::Hint* hint(const ImageAnalysis& a, const std::string& kind,
                         const std::string& needle = "") {
    for (const images::Hint& h : a.hints)
        if (h.kind == kind && h.message.find(needle) != std::string::npos) return &h;
    return nullptr;
}

TEST(AnalyzeFixture, TotalsMatchDiveDefinitionsWorkedByHand) {
    ImageAnalysis a = images::analyze_layout(analyze_fixtures().layout_dir, {});
    ASSERT_EQ(a.layers.size(), 4u);
    EXPECT_EQ(a.size_bytes, expected::kImageSize);
    EXPECT_EQ(a.user_size_bytes, expected::kUserSize);
    EXPECT_EQ(a.wasted_bytes, expected::kWasted);
    EXPECT_DOUBLE_EQ(a.efficiency, expected::efficiency());
    EXPECT_DOUBLE_EQ(a.user_wasted_percent,
                     double(expected::kWasted) / double(expected::kUserSize));
    EXPECT_NEAR(a.efficiency, 0.2002, 0.0001);  // the same, as a person would round it
    EXPECT_EQ(a.files, expected::kFinalFiles);
    EXPECT_EQ(a.os, "linux");
    EXPECT_EQ(a.user, "");
}

TEST(AnalyzeFixture, WastedPathsBiggestFirstWithLayerCounts) {
    ImageAnalysis a = images::analyze_layout(analyze_fixtures().layout_dir, {});
    ASSERT_EQ(a.wasted.size(), 3u);
    EXPECT_EQ(a.wasted[0].path, "/big/blob.bin");
    EXPECT_EQ(a.wasted[0].count, 2u);
    EXPECT_EQ(a.wasted[0].bytes, expected::kBlob);
    EXPECT_EQ(a.wasted[1].path, "/etc/config.txt");
    EXPECT_EQ(a.wasted[1].count, 3u);
    EXPECT_EQ(a.wasted[1].bytes, expected::kConfig0 + expected::kConfig1 + expected::kConfig2);
    EXPECT_EQ(a.wasted[2].path, "/etc/deleted.txt");
    EXPECT_EQ(a.wasted[2].count, 2u);
    EXPECT_EQ(a.wasted[2].bytes, expected::kDeleted);
}

TEST(AnalyzeFixture, PerLayerCountsSizesAndCommands) {
    ImageAnalysis a = images::analyze_layout(analyze_fixtures().layout_dir, {});
    ASSERT_EQ(a.layers.size(), 4u);
    for (size_t i = 0; i < 4; ++i) {
        const expected::Layer& want = expected::kLayers[i];
        const images::LayerAnalysis& got = a.layers[i];
        SCOPED_TRACE("layer " + std::to_string(i));
        EXPECT_EQ(got.index, int(i));
        EXPECT_EQ(got.size_bytes, want.size);
        EXPECT_EQ(got.added.files, want.added_files);
        EXPECT_EQ(got.added.bytes, want.added_bytes);
        EXPECT_EQ(got.modified.files, want.modified_files);
        EXPECT_EQ(got.modified.bytes, want.modified_bytes);
        EXPECT_EQ(got.removed.files, want.removed_files);
        EXPECT_EQ(got.removed.bytes, want.removed_bytes);
        // history has 7 entries; the empty_layer ones (ENV, WORKDIR, CMD) are skipped
        EXPECT_NE(got.command.find(want.command), std::string::npos) << got.command;
        EXPECT_GT(got.compressed_bytes, 0u);
        EXPECT_EQ(got.uncompressed_bytes % 512, 0u);  // a tar is whole 512-byte blocks
        EXPECT_GT(got.uncompressed_bytes, got.size_bytes);
    }
    EXPECT_EQ(a.layers[2].comment, "cleanup");
    EXPECT_EQ(a.layers[1].media_type, "application/vnd.oci.image.layer.v1.tar");
    // An uncompressed layer's blob is its tar.
    EXPECT_EQ(a.layers[1].compressed_bytes, a.layers[1].uncompressed_bytes);
    EXPECT_EQ(a.layers[1].digest, a.layers[1].diff_id);
}

TEST(AnalyzeFixture, HintsWithTheBytesTheyWouldSave) {
    ImageAnalysis a = images::analyze_layout(analyze_fixtures().layout_dir, {});
    using namespace expected;
    const images::Hint* deleted = hint(a, "deleted-later");
    ASSERT_NE(deleted, nullptr);
    EXPECT_EQ(deleted->bytes, kBlob + kDeleted + kA + kB + kOld);
    EXPECT_EQ(deleted->paths.front(), "/big/blob.bin");
    EXPECT_EQ(deleted->layers, std::vector<int>{2});
    const images::Hint* apt = hint(a, "package-cache", "apt");
    ASSERT_NE(apt, nullptr);
    EXPECT_EQ(apt->bytes, kDeb + kLists);
    EXPECT_EQ(apt->layers, std::vector<int>{1});
    ASSERT_NE(hint(a, "package-cache", "pip"), nullptr);
    EXPECT_EQ(hint(a, "package-cache", "pip")->bytes, kPip);
    ASSERT_NE(hint(a, "package-cache", "npm"), nullptr);
    EXPECT_EQ(hint(a, "package-cache", "npm")->bytes, kNpm);
    const images::Hint* git = hint(a, "git-dir");
    ASSERT_NE(git, nullptr);
    EXPECT_EQ(git->bytes, kGitHead + kGitPack);
    ASSERT_NE(hint(a, "toolchain", "go"), nullptr);
    EXPECT_EQ(hint(a, "toolchain", "go")->bytes, kGo + kCompile);
    ASSERT_NE(hint(a, "toolchain", "make"), nullptr);
    EXPECT_EQ(hint(a, "toolchain", "make")->bytes, kMake);  // the hardlink adds 0
    const images::Hint* rewritten = hint(a, "rewritten");
    ASSERT_NE(rewritten, nullptr);
    EXPECT_EQ(rewritten->bytes, kConfig0 + kConfig1);  // the copies before the final one
    EXPECT_NE(hint(a, "root-user"), nullptr);
    EXPECT_EQ(hint(a, "toolchain", "gcc"), nullptr);  // no cc1 in this image
    // Biggest saving first, the byte-less root hint last.
    EXPECT_EQ(a.hints.front().kind, "deleted-later");
    EXPECT_EQ(a.hints.back().kind, "root-user");
}

const images::TreeLine* line(const ImageAnalysis& a, const std::string& path) {
    for (const images::TreeLine& t : a.tree)
        if (t.path == path) return &t;
    return nullptr;
}

TEST(AnalyzeFixture, TreeOfALayerMarksItsChanges) {
    AnalyzeOptions o;
    o.tree_layer = 2;
    ImageAnalysis a = images::analyze_layout(analyze_fixtures().layout_dir, o);
    using namespace expected;
    ASSERT_NE(line(a, "/app/new.txt"), nullptr);
    EXPECT_EQ(line(a, "/app/new.txt")->change, 'A');
    EXPECT_EQ(line(a, "/app/new.txt")->size, kNew);
    EXPECT_EQ(line(a, "/etc/config.txt")->change, 'M');
    EXPECT_EQ(line(a, "/etc/config.txt")->size, kConfig2);
    EXPECT_EQ(line(a, "/big/blob.bin")->change, 'D');
    EXPECT_EQ(line(a, "/data/dir")->change, 'D');
    EXPECT_EQ(line(a, "/data/dir")->kind, 'd');
    EXPECT_EQ(line(a, "/data/dir")->size, kA + kB);
    EXPECT_EQ(line(a, "/opq/old.txt")->change, 'D');
    EXPECT_EQ(line(a, "/bin/tool")->change, ' ');
    EXPECT_EQ(line(a, "/bin/sh")->link, "tool");
    // Layer 3 has not happened yet at layer 2.
    EXPECT_EQ(line(a, "/usr/local/go"), nullptr);
    // A directory's size is what is below it now: /etc holds only config.txt (1200).
    EXPECT_EQ(line(a, "/etc")->size, kConfig2);
    EXPECT_EQ(line(a, "/var/empty")->size, 0u);

    o.tree_changed_only = true;
    ImageAnalysis changed = images::analyze_layout(analyze_fixtures().layout_dir, o);
    EXPECT_NE(line(changed, "/app/new.txt"), nullptr);
    EXPECT_NE(line(changed, "/etc"), nullptr);  // leads to a change
    EXPECT_EQ(line(changed, "/bin/tool"), nullptr);
    EXPECT_EQ(line(changed, "/var/empty"), nullptr);
}

TEST(AnalyzeFixture, FinalTreeHoldsTheFinalImage) {
    AnalyzeOptions o;
    o.tree_layer = images::kTreeFinal;
    ImageAnalysis a = images::analyze_layout(analyze_fixtures().layout_dir, o);
    EXPECT_EQ(a.tree_layer, 3);
    EXPECT_EQ(line(a, "/usr/local/go/bin/go")->change, 'A');
    EXPECT_EQ(line(a, "/big/blob.bin"), nullptr);  // removed before this layer
    uint64_t files = 0, bytes = 0;
    for (const images::TreeLine& t : a.tree)
        if (t.kind != 'd') ++files, bytes += t.size;
    EXPECT_EQ(files, expected::kFinalFiles);
    EXPECT_EQ(bytes, expected::kFinalBytes);
    AnalyzeOptions bad;
    bad.tree_layer = 4;
    EXPECT_THROW(images::analyze_layout(analyze_fixtures().layout_dir, bad), Error);
}

}  // namespace
}  // namespace berth::test
