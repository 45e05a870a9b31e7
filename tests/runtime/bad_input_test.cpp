// Every kind of bad input gets one clear line naming what is wrong, a non-zero exit, and
// leaves no state, mount or process behind.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "support/runtime_fixture.h"

namespace berth::test {
namespace {

class BadInput : public RuntimeTest {
  protected:
    // Host mounts that involve this test's files: a failed create must leave none. (Other
    // tests running in parallel may mount unrelated things.)
    std::string our_mounts() {
        std::istringstream lines(read_text("/proc/self/mountinfo"));
        std::string line, out;
        while (std::getline(lines, line))
            if (line.find(work_) != std::string::npos ||
                line.find(busybox_rootfs()) != std::string::npos)
                out += line + "\n";
        return out;
    }
    // Creates with the given config and expects failure mentioning `needle`.
    void expect_create_fails(const nlohmann::json& config, const std::string& needle) {
        std::string bundle = write_bundle(config);
        expect_bundle_fails(bundle, needle);
    }
    void expect_bundle_fails(const std::string& bundle, const std::string& needle) {
        std::string id = unique_id("bad");
        std::string mounts_before = our_mounts();
        Result r = runtime({"create", "--bundle", bundle, id});
        EXPECT_NE(r.exit_code, 0);
        EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr: " << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
        EXPECT_FALSE(std::filesystem::exists(root_ + "/" + id)) << "state left behind";
        EXPECT_EQ(our_mounts(), mounts_before);
    }
};

TEST_F(BadInput, MissingConfig) {
    std::string bundle = work_ + "/empty-bundle";
    mkdir(bundle.c_str(), 0755);
    expect_bundle_fails(bundle, "config.json");
}

TEST_F(BadInput, MalformedJson) {
    std::string bundle = work_ + "/malformed";
    mkdir(bundle.c_str(), 0755);
    write_text(bundle + "/config.json", "{\"ociVersion\": \"1.2.0\", ");
    expect_bundle_fails(bundle, "not valid JSON");
}

TEST_F(BadInput, MissingRootfs) {
    auto config = base_config({"true"});
    config["root"]["path"] = "/nonexistent-rootfs";
    expect_create_fails(config, "root.path");
}

TEST_F(BadInput, WrongTypes) {
    auto config = base_config({"true"});
    config["process"]["args"] = "sh";
    expect_create_fails(config, "process.args");
    config = base_config({"true"});
    config["process"]["user"]["uid"] = -1;
    expect_create_fails(config, "process.user.uid");
    config = base_config({"true"});
    config["process"]["cwd"] = "relative";
    expect_create_fails(config, "process.cwd");
}

TEST_F(BadInput, UnsupportedNamespaceIsNamed) {
    auto config = base_config({"true"});
    config["linux"]["namespaces"].push_back({{"type", "time"}});
    expect_create_fails(config, "\"time\"");
    config = base_config({"true"});
    config["linux"]["namespaces"].push_back({{"type", "bogus"}});
    expect_create_fails(config, "unknown namespace type \"bogus\"");
}

TEST_F(BadInput, UnknownCapabilityIsNamed) {
    auto config = base_config({"true"});
    config["process"]["capabilities"]["bounding"].push_back("CAP_MAKE_COFFEE");
    expect_create_fails(config, "CAP_MAKE_COFFEE");
}

TEST_F(BadInput, UnknownRlimitIsNamed) {
    auto config = base_config({"true"});
    config["process"]["rlimits"] = {{{"type", "RLIMIT_PIZZA"}, {"soft", 1}, {"hard", 1}}};
    expect_create_fails(config, "RLIMIT_PIZZA");
}

TEST_F(BadInput, BadMountOptionFailsNamingTheMount) {
    auto config = base_config({"true"});
    config["mounts"].push_back({{"destination", "/scratch"},
                                {"type", "tmpfs"},
                                {"source", "tmpfs"},
                                {"options", {"size=lots"}}});
    expect_create_fails(config, "mount /scratch (tmpfs)");
}

TEST_F(BadInput, LimitsWeCannotEnforceAreRefused) {
    auto config = base_config({"true"});
    config["linux"]["resources"] = {{"network", {{"classID", 1048577}}}};
    expect_create_fails(config, "linux.resources.network");
    config = base_config({"true"});
    config["linux"]["resources"] = {{"memory", {{"limit", 1 << 26}, {"kernel", 1 << 26}}}};
    expect_create_fails(config, "linux.resources.memory.kernel");
}

TEST_F(BadInput, UnknownPropertiesAreIgnored) {
    auto config = base_config({"true"});
    config["someFutureField"] = {{"x", 1}};
    config["process"]["anotherNewThing"] = true;
    EXPECT_EQ(run_config(config).exit_code, 0);
}

TEST_F(BadInput, DuplicateIdKeepsTheFirstContainer) {
    std::string bundle = write_bundle(base_config({"sleep", "100"}));
    std::string id = unique_id("dup");
    ASSERT_EQ(runtime({"create", "--bundle", bundle, id}).exit_code, 0);
    int pid = state(id)["pid"];
    Result second = runtime({"create", "--bundle", bundle, id});
    EXPECT_NE(second.exit_code, 0);
    EXPECT_NE(second.err.find("already exists"), std::string::npos) << second.err;
    EXPECT_EQ(state(id)["pid"], pid);
    EXPECT_EQ(state(id)["status"], "created");
}

TEST_F(BadInput, InvalidIds) {
    std::string bundle = write_bundle(base_config({"true"}));
    for (std::string id : {"../escape", "a/b", ".."}) {
        Result r = runtime({"create", "--bundle", bundle, id});
        EXPECT_NE(r.exit_code, 0) << id;
        EXPECT_NE(r.err.find("invalid container id"), std::string::npos) << r.err;
    }
}

TEST_F(BadInput, UnknownContainer) {
    for (auto verb : {"start", "state", "kill", "delete", "ps"}) {
        Result r = runtime({verb, "no-such-container"});
        EXPECT_NE(r.exit_code, 0) << verb;
        EXPECT_NE(r.err.find("does not exist"), std::string::npos) << verb << ": " << r.err;
    }
}

TEST_F(BadInput, MountDestinationSymlinkCannotEscapeTheRootfs) {
    // A private copy of the rootfs whose /escape is a symlink pointing at a host directory.
    std::string rootfs = copy_of_rootfs("evil-rootfs");
    std::string host_dir = work_ + "/host-target";
    mkdir(host_dir.c_str(), 0755);
    symlink(("/../../../../../../" + host_dir).c_str(), (rootfs + "/escape").c_str());
    auto config = base_config({"sh", "-c", "touch /escape/planted; ls -d /escape/planted"});
    config["root"]["path"] = rootfs;
    config["root"]["readonly"] = false;
    config["mounts"].push_back(
        {{"destination", "/escape/sub/dir"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
    Result r = run_config(config);
    // Whatever happened inside, nothing may appear in the host directory.
    EXPECT_TRUE(std::filesystem::is_empty(host_dir)) << r.out << r.err;
}

}  // namespace
}  // namespace berth::test
