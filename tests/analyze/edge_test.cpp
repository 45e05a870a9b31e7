// dive's definitions on small hand-made images (the reference's own example, directory
// whiteouts, duplicates), and hostile input: every bad layer or document gives one clear
// error naming what is wrong, never a crash.
#include <gtest/gtest.h>

#include <cstring>

#include "analyze_support.h"
#include "berth/error.h"
#include "berth/images/analyze.h"

namespace berth::test {
namespace {

using images::AnalyzeOptions;
using images::ImageAnalysis;

constexpr uint64_t MiB = 1 << 20;

ImageAnalysis analyze(const std::vector<LayoutLayer>& layers, AnalyzeOptions o = {},
                      const std::string& config = "{}") {
    TempDir dir("berth-analyze-edge");
    write_layout(dir.path(), layers, config);
    return images::analyze_layout(dir.path(), o);
}

std::string error_of(const std::vector<LayoutLayer>& layers, AnalyzeOptions o = {}) {
    try {
        analyze(layers, o);
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(AnalyzeEdge, TheReferenceExample) {
    // layer 0 adds a (1 MiB) and b (2 MiB); layer 1 rewrites a (1 MiB) and whites out b
    // -> efficiency (1+0)/(2+2) = 0.25, wasted 4 MiB.
    std::string one(MiB, 'a'), two(2 * MiB, 'b');
    ImageAnalysis a = analyze({layer_of({{.name = "a", .data = one}, {.name = "b", .data = two}}),
                               layer_of({{.name = "a", .data = one}, {.name = ".wh.b"}}, true)});
    EXPECT_DOUBLE_EQ(a.efficiency, 0.25);
    EXPECT_EQ(a.wasted_bytes, 4 * MiB);
    EXPECT_EQ(a.user_size_bytes, MiB);
    EXPECT_DOUBLE_EQ(a.user_wasted_percent, 4.0);
    EXPECT_EQ(a.layers[1].modified.files, 1u);
    EXPECT_EQ(a.layers[1].removed.bytes, 2 * MiB);
}

TEST(AnalyzeEdge, NoPathsIsFullyEfficient) {
    ImageAnalysis a = analyze({layer_of({})});
    EXPECT_DOUBLE_EQ(a.efficiency, 1.0);
    EXPECT_EQ(a.wasted_bytes, 0u);
    EXPECT_DOUBLE_EQ(a.user_wasted_percent, 0.0);  // no user layers: 0, not NaN
}

TEST(AnalyzeEdge, DirectoryWhiteoutIsChargedWhatItHid) {
    // d/ holds 100 + 200 bytes; a later whiteout of d is one node of /d charged 300, and /d
    // (a directory with children in layer 0) was no leaf before: nothing is in 2+ layers.
    ImageAnalysis a = analyze({layer_of({{.name = "d", .type = 'd'},
                                         {.name = "d/x", .data = std::string(100, 'x')},
                                         {.name = "d/y", .data = std::string(200, 'y')}}),
                               layer_of({{.name = ".wh.d"}})});
    EXPECT_EQ(a.wasted_bytes, 0u);
    EXPECT_DOUBLE_EQ(a.efficiency, 1.0);  // (100 + 200 + 300) / (100 + 200 + 300)
    EXPECT_EQ(a.layers[1].removed.files, 2u);
    EXPECT_EQ(a.layers[1].removed.bytes, 300u);
    // An empty directory is a leaf: re-created in a later layer it is in 2 layers (0 bytes).
    ImageAnalysis e =
        analyze({layer_of({{.name = "e", .type = 'd'}}), layer_of({{.name = "e", .type = 'd'}})});
    ASSERT_EQ(e.wasted.size(), 1u);
    EXPECT_EQ(e.wasted[0].path, "/e");
    EXPECT_EQ(e.wasted[0].bytes, 0u);
}

TEST(AnalyzeEdge, SamePathTwiceInOneLayerIsOneNode) {
    ImageAnalysis a = analyze({layer_of({{.name = "f", .data = std::string(10, 'a')},
                                         {.name = "f", .data = std::string(30, 'b')}})});
    EXPECT_TRUE(a.wasted.empty());
    EXPECT_EQ(a.layers[0].added.files, 1u);
    EXPECT_EQ(a.layers[0].added.bytes, 30u);
    EXPECT_EQ(a.layers[0].size_bytes, 40u);  // dive's layer size counts both entries
}

TEST(AnalyzeEdge, UserAndNonRootHint) {
    ImageAnalysis root = analyze({layer_of({{.name = "x", .data = "1"}})}, {}, R"({"User":"0:0"})");
    ASSERT_FALSE(root.hints.empty());
    EXPECT_EQ(root.hints.back().kind, "root-user");
    ImageAnalysis user = analyze({layer_of({{.name = "x", .data = "1"}})}, {}, R"({"User":"app"})");
    EXPECT_EQ(user.user, "app");
    for (const images::Hint& h : user.hints) EXPECT_NE(h.kind, "root-user");
}

TEST(AnalyzeEdge, GccToolchainIsFoundByItsCompiler) {
    ImageAnalysis a = analyze({layer_of({
        {.name = "usr/lib/gcc/x86_64-linux-gnu/12/cc1", .data = std::string(700, 'c')},
        {.name = "usr/lib/gcc/x86_64-linux-gnu/12/libgcc.a", .data = std::string(300, 'l')},
        {.name = "usr/bin/gcc-12", .data = std::string(50, 'g')},
        {.name = "usr/bin/ld", .data = std::string(25, 'l')},
    })});
    const images::Hint* gcc = nullptr;
    for (const images::Hint& h : a.hints)
        if (h.kind == "toolchain" && h.message.find("gcc") != std::string::npos) gcc = &h;
    ASSERT_NE(gcc, nullptr);
    EXPECT_EQ(gcc->bytes, 700u + 300u + 50u + 25u);
}

// --- hostile input ---

TEST(AnalyzeHostile, NotATar) {
    LayoutLayer l;
    l.blob = l.tar = std::string(4096, '\x7f') + "garbage";
    std::string e = error_of({l});
    EXPECT_NE(e.find("layer 0"), std::string::npos) << e;
}

TEST(AnalyzeHostile, TruncatedGzip) {
    LayoutLayer l = layer_of({{.name = "f", .data = std::string(100000, 'q')}}, true);
    l.blob.resize(l.blob.size() / 2);
    std::string e = error_of({l});
    EXPECT_NE(e.find("layer 0"), std::string::npos) << e;
}

// A ustar header whose size field claims `claimed` bytes, followed by only a little data.
std::string lying_tar(uint64_t claimed) {
    std::string tar = make_tar({{.name = "big", .data = "only a few bytes"}});
    // make_tar writes pax: find the real entry's ustar header (the one named "big").
    size_t header = tar.find(std::string("big\0", 4));
    header -= header % 512;
    char size[16];
    std::snprintf(size, sizeof size, "%011llo", static_cast<unsigned long long>(claimed));
    tar.replace(header + 124, 12, std::string(size, 12));  // 11 digits and a NUL
    std::memset(tar.data() + header + 148, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < 512; ++i) sum += static_cast<unsigned char>(tar[header + i]);
    std::snprintf(size, 8, "%06o", sum);
    std::memcpy(tar.data() + header + 148, size, 7);
    return tar;
}

TEST(AnalyzeHostile, HugeClaimedSize) {
    LayoutLayer l;
    l.blob = l.tar =
        lying_tar((uint64_t{8} << 30) - 1);  // 8 GiB claimed (ustar's most), 16 bytes present
    AnalyzeOptions small;
    small.max_tar_bytes = 1 << 30;
    std::string e = error_of({l}, small);
    EXPECT_NE(e.find("claims 8589934591 bytes, more than the layer limit"), std::string::npos) << e;
    // Within the limit, the claim runs into the end of the data.
    std::string t = error_of({l});
    EXPECT_NE(t.find("layer 0"), std::string::npos) << t;
    EXPECT_EQ(t.find("(no error)"), std::string::npos);
}

TEST(AnalyzeHostile, DecompressionBomb) {
    AnalyzeOptions o;
    o.max_tar_bytes = 1 << 20;
    // Each file is within the limit: only the sum of what decompresses is not.
    std::vector<TarEntry> zeros;
    for (char c = 'a'; c < 'i'; ++c)
        zeros.push_back({.name = std::string(1, c), .data = std::string(512 << 10, 0)});
    std::string e = error_of({layer_of(zeros, true)}, o);
    EXPECT_NE(e.find("decompression bomb"), std::string::npos) << e;
}

TEST(AnalyzeHostile, TraversalAndBadWhiteouts) {
    std::string e = error_of({layer_of({{.name = "a/../../etc/passwd", .data = "x"}})});
    EXPECT_NE(e.find("a/../../etc/passwd"), std::string::npos) << e;
    std::string w = error_of({layer_of({{.name = "d/.wh."}})});
    EXPECT_NE(w.find("whiteout"), std::string::npos) << w;
}

TEST(AnalyzeHostile, DeepNesting) {
    // As deep as PATH_MAX allows: analyzed (the tree code recurses that deep, no further).
    std::string deep;
    for (int i = 0; i < 2000; ++i) deep += "d/";
    ImageAnalysis a =
        analyze({layer_of({{.name = deep + "f", .data = "x"}}), layer_of({{.name = ".wh.d"}})});
    EXPECT_EQ(a.layers[1].removed.files, 1u);
    // Deeper is refused with a message, not a crash.
    std::string e = error_of({layer_of({{.name = deep + deep + "f", .data = "x"}})});
    EXPECT_NE(e.find("longer than PATH_MAX"), std::string::npos) << e.substr(0, 300);
}

TEST(AnalyzeHostile, DiffIdMismatch) {
    LayoutLayer l = layer_of({{.name = "f", .data = "real"}});
    l.tar = make_tar({{.name = "f", .data = "claimed"}});  // the config gets this DiffID
    std::string e = error_of({l});
    EXPECT_NE(e.find("DiffID mismatch"), std::string::npos) << e;
}

TEST(AnalyzeHostile, BadDocuments) {
    TempDir dir("berth-analyze-bad");
    write_layout(dir.path(), {layer_of({{.name = "f", .data = "x"}})});
    spit(dir / "index.json", "{not json");
    try {
        images::analyze_layout(dir.path(), {});
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("index.json: invalid JSON"), std::string::npos)
            << e.what();
    }
    spit(dir / "x.tar", "this is not an archive at all, not even close......");
    EXPECT_THROW(images::analyze_archive(dir / "x.tar", {}), Error);
    EXPECT_THROW(images::analyze_layout(dir / "missing", {}), Error);
}

}  // namespace
}  // namespace berth::test
