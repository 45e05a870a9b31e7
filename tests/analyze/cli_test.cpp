// `berth image analyze` as a user runs it: the table, -o json with its documented fields,
// -o csv, --tree, and --ci's PASS/FAIL lines and exit codes (flags and .berth-ci files).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "analyze_support.h"
#include "expected.h"
#include "support/subprocess.h"

namespace berth::test {
namespace {

Result berth(std::vector<std::string> args) {
    args.insert(args.begin(), BERTH_BINARY);
    return run(args, 60);
}

std::vector<std::string> analyze(std::vector<std::string> extra) {
    std::vector<std::string> args = {"image", "analyze", "--layout", analyze_fixtures().layout_dir};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

TEST(AnalyzeCli, JsonHasTheDocumentedFields) {
    Result r = berth(analyze({"-o", "json"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["schemaVersion"], 1);
    EXPECT_EQ(j["source"], "layout");
    EXPECT_EQ(j["image"]["sizeBytes"], expected::kImageSize);
    EXPECT_EQ(j["image"]["userSizeBytes"], expected::kUserSize);
    EXPECT_EQ(j["image"]["wastedBytes"], expected::kWasted);
    EXPECT_DOUBLE_EQ(j["image"]["efficiency"].get<double>(), expected::efficiency());
    EXPECT_EQ(j["layers"].size(), 4u);
    EXPECT_EQ(j["layers"][2]["removed"]["files"], 5);
    EXPECT_EQ(j["layers"][2]["removed"]["bytes"], expected::kLayers[2].removed_bytes);
    for (const char* key :
         {"index", "digest", "diffId", "mediaType", "compressedBytes", "uncompressedBytes",
          "sizeBytes", "entries", "command", "added", "modified", "removed"})
        EXPECT_TRUE(j["layers"][0].contains(key)) << key;
    EXPECT_EQ(j["wasted"][0]["path"], "/big/blob.bin");
    EXPECT_EQ(j["wasted"][0]["count"], 2);
    EXPECT_EQ(j["hints"][0]["kind"], "deleted-later");
    EXPECT_FALSE(j.contains("tree"));
    EXPECT_FALSE(j.contains("ci"));
}

TEST(AnalyzeCli, CsvIsTheLayerTable) {
    Result r = berth(analyze({"-o", "csv"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> lines;
    for (size_t at = 0, nl; (nl = r.out.find('\n', at)) != std::string::npos; at = nl + 1)
        lines.push_back(r.out.substr(at, nl - at));
    ASSERT_EQ(lines.size(), 5u) << r.out;
    EXPECT_EQ(lines[0].rfind("index,digest,diff_id,", 0), 0u);
    // Layer 2: 2 added (1100 bytes), 1 modified (1200), 5 removed; its command has no comma.
    EXPECT_NE(
        lines[3].find(",2,1100,1,1200,5," + std::to_string(expected::kLayers[2].removed_bytes)),
        std::string::npos)
        << lines[3];
}

TEST(AnalyzeCli, TableAndTree) {
    Result r = berth(analyze({"--tree", "--layer", "2", "--changed"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("Efficiency:   0.2002"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("/big/blob.bin"), std::string::npos);
    EXPECT_NE(r.out.find("deleted-later"), std::string::npos);
    EXPECT_NE(r.out.find("File tree as of layer 2"), std::string::npos);
    EXPECT_NE(r.out.find("D      1.0MB    blob.bin"), std::string::npos) << r.out;
    std::string tree = r.out.substr(r.out.find("File tree"));
    EXPECT_EQ(tree.find("tool"), std::string::npos) << tree;  // unchanged: not shown
}

TEST(AnalyzeCli, CiDefaultsFailThisImage) {
    // dive's defaults: lowestEfficiency 0.9, highestUserWastedPercent 0.1.
    Result r = berth(analyze({"--ci"}));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("FAIL: lowestEfficiency (0.2002 < 0.9000)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("FAIL: highestUserWastedPercent"), std::string::npos);
    EXPECT_NE(r.out.find("SKIP: highestWastedBytes (disabled)"), std::string::npos);
    EXPECT_NE(r.out.find("Result: FAIL"), std::string::npos);
}

TEST(AnalyzeCli, CiFlagsPassAndFail) {
    // user-wasted = 1005700 / 1138823 = 0.883
    Result pass =
        berth(analyze({"--ci", "--lowest-efficiency", "0.2", "--highest-user-wasted-percent", "90%",
                       "--highest-wasted-bytes", "1006KB"}));
    EXPECT_EQ(pass.exit_code, 0) << pass.out << pass.err;
    EXPECT_NE(pass.out.find("PASS: highestWastedBytes (1005700 <= 1006000)"), std::string::npos)
        << pass.out;
    EXPECT_NE(pass.out.find("Result: PASS [3 passed, 0 failed, 0 skipped]"), std::string::npos);

    Result bytes =
        berth(analyze({"--ci", "--lowest-efficiency", "disabled", "--highest-user-wasted-percent",
                       "disabled", "--highest-wasted-bytes", "1MB"}));
    EXPECT_EQ(bytes.exit_code, 1);
    EXPECT_NE(bytes.out.find("FAIL: highestWastedBytes (1005700 > 1000000)"), std::string::npos)
        << bytes.out;

    Result json = berth(analyze({"--ci", "-o", "json", "--lowest-efficiency", "0.21"}));
    EXPECT_EQ(json.exit_code, 1);
    auto j = nlohmann::json::parse(json.out);
    EXPECT_EQ(j["ci"]["pass"], false);
    EXPECT_EQ(j["ci"]["rules"][0]["status"], "fail");
}

TEST(AnalyzeCli, CiRulesFile) {
    TempDir dir("berth-analyze-ci");
    spit(dir / ".berth-ci",
         "rules:\n  lowestEfficiency: 0.2\n  highestWastedBytes: 2MiB\n"
         "  highestUserWastedPercent: 0.9\n");
    // Found in the current directory, like dive's .dive-ci.
    Result r = run({"/bin/sh", "-c",
                    "cd " + dir.path() + " && exec " + BERTH_BINARY + " image analyze --layout " +
                        analyze_fixtures().layout_dir + " --ci"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("PASS: highestWastedBytes (1005700 <= 2097152)"), std::string::npos)
        << r.out;
    // A flag overrides the file.
    Result strict =
        berth(analyze({"--ci", "--ci-config", dir / ".berth-ci", "--lowest-efficiency", "0.5"}));
    EXPECT_EQ(strict.exit_code, 1);
    EXPECT_NE(strict.out.find("FAIL: lowestEfficiency"), std::string::npos);

    spit(dir / "bad", "rules:\n  lowestEficiency: 0.2\n");
    Result bad = berth(analyze({"--ci", "--ci-config", dir / "bad"}));
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("unknown rule \"lowestEficiency\""), std::string::npos) << bad.err;
    Result value = berth(analyze({"--ci", "--highest-wasted-bytes", "lots"}));
    EXPECT_NE(value.err.find("\"lots\" is not a size"), std::string::npos) << value.err;
}

TEST(AnalyzeCli, SourcesAreExclusive) {
    Result r = berth({"image", "analyze", "--layout", "/x", "--archive", "/y"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("exactly one of"), std::string::npos) << r.err;
    Result missing = berth({"image", "analyze", "--archive", "/nonexistent.tar"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("/nonexistent.tar"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace berth::test
