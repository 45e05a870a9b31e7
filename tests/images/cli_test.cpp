// The `berth image` verbs as a user runs them, and two berth processes sharing one store.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "images_support.h"
#include "support/subprocess.h"

namespace berth::test {
namespace {

class Cli : public ::testing::Test {
  protected:
    Result berth(std::vector<std::string> args) {
        args.insert(args.begin(), {BERTH_BINARY, "--root", dir_ / "root"});
        return run(args, 120);
    }
    TempDir dir_{"berth-cli"};
};

TEST_F(Cli, LoadListInspectTagRemove) {
    Result load = berth({"image", "load", "-i", fixtures().multilayer_tar});
    ASSERT_EQ(load.exit_code, 0) << load.err;
    EXPECT_EQ(load.out, "Loaded image: berth-fixtures/multilayer:1\n");
    load = berth({"image", "load", "--input", fixtures().busybox_dir});
    ASSERT_EQ(load.exit_code, 0) << load.err;

    ASSERT_EQ(berth({"image", "tag", "berth-fixtures/busybox:1", "mybox:2"}).exit_code, 0);
    Result ls = berth({"image", "ls"});
    ASSERT_EQ(ls.exit_code, 0) << ls.err;
    EXPECT_NE(ls.out.find("berth-fixtures/multilayer:1"), std::string::npos) << ls.out;
    EXPECT_NE(ls.out.find("mybox:2"), std::string::npos) << ls.out;

    Result inspect = berth({"image", "inspect", "mybox:2"});
    ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
    auto j = nlohmann::json::parse(inspect.out).at(0);
    EXPECT_EQ(j["RepoTags"], (nlohmann::json{"berth-fixtures/busybox:1", "mybox:2"}));
    EXPECT_EQ(j["Os"], "linux");
    EXPECT_EQ(j["Architecture"], "amd64");
    EXPECT_EQ(j["Created"], "1970-01-01T00:00:00Z");
    EXPECT_EQ(j["Config"]["Cmd"], nlohmann::json{"/bin/sh"});
    EXPECT_EQ(j["RootFS"]["Type"], "layers");
    EXPECT_EQ(j["RootFS"]["Layers"].size(), 1u);
    EXPECT_GT(j["Size"].get<uint64_t>(), 100000u);
    EXPECT_EQ(j["Id"].get<std::string>().substr(0, 7), "sha256:");

    Result rm = berth({"image", "rm", "berth-fixtures/multilayer:1"});
    ASSERT_EQ(rm.exit_code, 0) << rm.err;
    EXPECT_NE(rm.out.find("Deleted: sha256:"), std::string::npos);
    Result missing = berth({"image", "inspect", "berth-fixtures/multilayer:1"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_EQ(missing.err, "berth: image berth-fixtures/multilayer:1: no such image\n");
    // An ID with two tags needs -f.
    std::string id = j["Id"];
    EXPECT_EQ(berth({"image", "rm", id}).exit_code, 1);
    EXPECT_EQ(berth({"image", "rm", "-f", id}).exit_code, 0);
    EXPECT_EQ(berth({"image", "ls", "-q"}).out, "");
}

// save -> rm -> load gives back the same image, in both archive formats.
TEST_F(Cli, SaveRemoveLoadRoundTrips) {
    ASSERT_EQ(berth({"image", "load", "-i", fixtures().multilayer_dir}).exit_code, 0);
    ASSERT_EQ(berth({"image", "tag", "berth-fixtures/multilayer:1", "again:2"}).exit_code, 0);
    Result before = berth({"image", "inspect", "again:2"});
    ASSERT_EQ(before.exit_code, 0) << before.err;
    auto expected = nlohmann::json::parse(before.out).at(0);
    for (std::string format : {"oci", "docker"}) {
        std::string archive = dir_ / (format + ".tar");
        Result save = berth({"image", "save", "--format", format, "-o", archive, "again:2"});
        ASSERT_EQ(save.exit_code, 0) << save.err;
        ASSERT_EQ(berth({"image", "rm", "-f", expected["Id"]}).exit_code, 0);
        EXPECT_TRUE(list_tree(dir_ / "root/layers").empty()) << format;
        Result load = berth({"image", "load", "-i", archive});
        ASSERT_EQ(load.exit_code, 0) << format << ": " << load.err;
        Result after = berth({"image", "inspect", "again:2"});
        ASSERT_EQ(after.exit_code, 0) << format << ": " << after.err;
        auto got = nlohmann::json::parse(after.out).at(0);
        EXPECT_EQ(got["Id"], expected["Id"]) << format;
        EXPECT_EQ(got["RepoTags"], expected["RepoTags"]) << format;
        EXPECT_EQ(got["RootFS"], expected["RootFS"]) << format;
        EXPECT_EQ(got["Size"], expected["Size"]) << format;
    }
}

TEST_F(Cli, ConcurrentLoadsShareOneStore) {
    std::vector<pid_t> pids;
    for (int i = 0; i < 3; ++i)
        pids.push_back(spawn({BERTH_BINARY, "--root", dir_ / "root", "image", "load", "-i",
                              fixtures().multilayer_tar},
                             dir_ / ("out" + std::to_string(i))));
    for (size_t i = 0; i < pids.size(); ++i)
        EXPECT_EQ(wait_exit(pids[i], 120), 0) << slurp(dir_ / ("out" + std::to_string(i)));
    std::vector<std::string> layers = list_tree(dir_ / "root/layers");
    size_t dirs = 0;
    for (const std::string& l : layers)
        if (l.size() == 64) ++dirs;
    EXPECT_EQ(dirs, 3u);
    for (const std::string& l : layers) EXPECT_NE(l.rfind(".tmp-", 0), 0u) << l;
    EXPECT_EQ(berth({"image", "ls", "-q"}).out.size(), 13u);
}

}  // namespace
}  // namespace berth::test
