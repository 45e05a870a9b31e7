// berth diff and berth commit with the engine, as a user runs them: a container creates,
// changes and deletes files (and replaces a directory) and writes into a bind-mounted volume;
// diff lists exactly those changes; the committed image runs with every change but the
// volume's content, carries the --change settings, and analyze shows the new layer with the
// counts worked out here from what the script did.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "analyze_support.h"
#include "support/network_cleanup.h"
#include "support/subprocess.h"

namespace berth::test {
namespace {

class Commit : public ::testing::Test {
  protected:
    void SetUp() override {
        Result r = berth({"image", "load", "--input", fixtures().busybox_dir});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        std::filesystem::create_directories(dir_ / "vol");
    }
    void TearDown() override {
        for (const std::string& c : containers_) berth({"rm", "-f", c});
        // The default network "bridge" the containers were on.
        cleanup_store_networks(BERTH_BINARY, dir_ / "root", dir_ / "run");
        // A failed test may leave a rootfs mounted below our root.
        std::ifstream mounts("/proc/self/mounts");
        std::vector<std::string> ours;
        for (std::string line; std::getline(mounts, line);) {
            std::istringstream in(line);
            std::string src, target;
            in >> src >> target;
            if (target.rfind(dir_.path() + "/", 0) == 0) ours.push_back(target);
        }
        for (auto it = ours.rbegin(); it != ours.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
    }
    Result berth(std::vector<std::string> args) {
        args.insert(args.begin(),
                    {BERTH_BINARY, "--root", dir_ / "root", "--runroot", dir_ / "run"});
        return run(args, 60);
    }
    std::string container(const std::string& name) {
        containers_.push_back(name);
        return name;
    }
    nlohmann::json analyze_json(const std::string& ref) {
        Result r = berth({"image", "analyze", ref, "-o", "json"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return nlohmann::json::parse(r.out);
    }

    TempDir dir_{"berth-commit"};
    std::vector<std::string> containers_;
};

const char* kScript =
    "echo new > /new.txt && echo extra >> /etc/passwd && rm /bin/vi && rm -rf /home/user && "
    "mkdir -p /home/user && echo f > /home/user/fresh && echo vol > /data/v.txt";

TEST_F(Commit, DiffCommitRunAnalyze) {
    const std::string image = "berth-fixtures/busybox:1";
    // The fixture's /etc/passwd, to know the size it will have.
    nlohmann::json base = analyze_json(image);
    Result r = berth({"run", "--name", container("c1"), "-v", dir_ / "vol" + ":/data", image, "sh",
                      "-c", kScript});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(slurp(dir_ / "vol/v.txt"), "vol\n");

    Result diff = berth({"diff", "c1"});
    ASSERT_EQ(diff.exit_code, 0) << diff.err;
    // docker's letters; /data (the bind) and /etc/hosts etc. (the engine's binds) are absent.
    EXPECT_EQ(diff.out,
              "C /bin\nD /bin/vi\nC /etc\nC /etc/passwd\nC /home\nC /home/user\n"
              "A /home/user/fresh\nA /new.txt\n");

    Result commit =
        berth({"commit", "--change", "ENV FOO=bar", "--change", R"(CMD ["cat","/new.txt"])",
               "--change", "LABEL stage=test", "--change", "EXPOSE 8080", "--change",
               "WORKDIR /home/user", "-m", "from c1", "c1", "test/committed:1"});
    ASSERT_EQ(commit.exit_code, 0) << commit.err;
    std::string id = commit.out.substr(0, commit.out.find('\n'));
    EXPECT_EQ(id.rfind("sha256:", 0), 0u) << commit.out;

    Result cmd = berth({"run", "--rm", "test/committed:1"});
    EXPECT_EQ(cmd.exit_code, 0) << cmd.err;
    EXPECT_EQ(cmd.out, "new\n");
    Result check = berth({"run", "--rm", "test/committed:1", "sh", "-c",
                          "echo FOO=$FOO; pwd; tail -1 /etc/passwd; cat fresh; "
                          "test -e /bin/vi || echo no-vi; test -e /data/v.txt || echo no-volume"});
    EXPECT_EQ(check.exit_code, 0) << check.err;
    EXPECT_EQ(check.out, "FOO=bar\n/home/user\nextra\nf\nno-vi\nno-volume\n");

    Result inspect = berth({"image", "inspect", "test/committed:1"});
    ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
    auto cfg = nlohmann::json::parse(inspect.out)[0]["Config"];
    EXPECT_EQ(cfg["Labels"]["stage"], "test");
    EXPECT_TRUE(cfg["ExposedPorts"].contains("8080/tcp"));

    // The new layer, by hand: added /new.txt ("new\n") and /home/user/fresh ("f\n"); modified
    // /etc/passwd (its old size + "extra\n"); removed /bin/vi (a symlink: 0 bytes).
    nlohmann::json a = analyze_json("test/committed:1");
    ASSERT_EQ(a["layers"].size(), base["layers"].size() + 1);
    const auto& top = a["layers"].back();
    EXPECT_EQ(top["added"]["files"], 2);
    EXPECT_EQ(top["added"]["bytes"], 4 + 2);
    EXPECT_EQ(top["modified"]["files"], 1);
    EXPECT_EQ(top["removed"]["files"], 1);
    EXPECT_EQ(top["removed"]["bytes"], 0);
    EXPECT_EQ(top["comment"], "from c1");
    EXPECT_NE(top["command"].get<std::string>().find("echo new > /new.txt"), std::string::npos);
    // /etc/passwd is in both layers: its two sizes are the wasted bytes; /bin/vi too (a
    // 0-byte symlink, then its 0-byte whiteout).
    ASSERT_EQ(a["wasted"].size(), 2u);
    EXPECT_EQ(a["wasted"][0]["path"], "/etc/passwd");
    EXPECT_EQ(a["wasted"][1]["path"], "/bin/vi");
    EXPECT_EQ(a["wasted"][1]["bytes"], 0);
    uint64_t old_size = (a["wasted"][0]["bytes"].get<uint64_t>() - 6) / 2;
    EXPECT_EQ(top["modified"]["bytes"], old_size + 6);
    EXPECT_EQ(a["image"]["wastedBytes"], old_size + old_size + 6);
}

TEST_F(Commit, RunningContainerIsFrozenAndResumed) {
    const std::string image = "berth-fixtures/busybox:1";
    Result r = berth({"run", "-d", "--name", container("live"), image, "sh", "-c",
                      "echo up > /ready; while :; do date > /clock; sleep 0.05; done"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (int i = 0; i < 100 && berth({"diff", "live"}).out.find("/ready") == std::string::npos; ++i)
        usleep(50000);
    Result commit = berth({"commit", "live", "test/live:1"});
    ASSERT_EQ(commit.exit_code, 0) << commit.err;
    Result nopause = berth({"commit", "--pause=false", "live", "test/live:2"});
    ASSERT_EQ(nopause.exit_code, 0) << nopause.err;
    // Thawed again: still running, still writing.
    Result ps = berth({"ps"});
    EXPECT_NE(ps.out.find("live"), std::string::npos) << ps.out;
    Result cat = berth({"run", "--rm", "test/live:1", "cat", "/ready"});
    EXPECT_EQ(cat.out, "up\n") << cat.err;
    Result bad = berth({"commit", "--change", "FROM scratch", "live"});
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.err.find("unknown instruction FROM"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace berth::test
