// Regression tests for the container-escape CVEs every runtime must defend
// (docs/runtime.md lists attack -> defence). Each builds the hostile image or config and
// checks the host is untouched.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "support/runtime_fixture.h"

namespace berth::test {
namespace {

namespace fs = std::filesystem;

class Cve : public RuntimeTest {
  protected:
    std::string hostile_rootfs() { return copy_of_rootfs("hostile-rootfs"); }
};

// CVE-2019-16884 / 2019-19921 / 2023-27561: procfs writes redirected by a fake /proc.
TEST_F(Cve, SymlinkedProcIsRefused) {
    std::string rootfs = hostile_rootfs();
    std::string decoy = work_ + "/decoy-proc";
    fs::create_directory(decoy);
    fs::remove(rootfs + "/proc");
    fs::create_directory_symlink("/../../../../../../" + decoy, rootfs + "/proc");
    auto config = base_config({"true"});
    config["root"]["path"] = rootfs;
    Result r = run_config(config);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("/proc"), std::string::npos) << r.err;
    EXPECT_TRUE(fs::is_empty(decoy));
}

// CVE-2024-21626: a leaked host directory fd used as the working directory.
TEST_F(Cve, CwdThroughALeakedHostFdIsRefused) {
    int host_dir = open(work_.c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(host_dir, 0);
    auto config = base_config({"sh", "-c", "touch escaped; pwd"});
    config["process"]["cwd"] = "/proc/self/fd/" + std::to_string(host_dir);
    std::string bundle = write_bundle(config);
    Result r = run({kRuntimeBinary, "--root", root_, "run", "--bundle", bundle, unique_id("cwd")},
                   60, host_dir);
    close(host_dir);
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_NE(r.err.find("outside the container root"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(work_ + "/escaped"));
}

// CVE-2025-31133: /dev/null in the image replaced by a symlink to a file masking would expose
// or a host path; the runtime must mask with a verified null device.
TEST_F(Cve, DevNullSymlinkInTheImageIsNotTrusted) {
    std::string rootfs = hostile_rootfs();
    std::string host_file = work_ + "/host-file";
    write_text(host_file, "host content\n");
    fs::create_directories(rootfs + "/dev");
    fs::create_symlink("/../../../../../../" + host_file, rootfs + "/dev/null");
    auto config = base_config({"sh", "-c", "wc -c < /proc/keys; ls -l /dev/null"});
    config["root"]["path"] = rootfs;
    // No /dev tmpfs: the image's own /dev is used.
    nlohmann::json mounts = nlohmann::json::array();
    for (auto& m : config["mounts"])
        if (m["destination"].get<std::string>().rfind("/dev", 0) != 0) mounts.push_back(m);
    config["mounts"] = mounts;
    config["root"]["readonly"] = false;
    Result r = run_config(config);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.substr(0, 2), "0\n") << r.out;
    EXPECT_NE(r.out.find("1,   3"), std::string::npos) << r.out;  // a real char device 1:3
    EXPECT_EQ(read_text(host_file), "host content\n");
}

// runc CVE-2026-41579 / crun CVE-2026-47766: /dev in the image is a symlink out of the rootfs.
TEST_F(Cve, DevSymlinkInTheImageStaysInside) {
    std::string rootfs = hostile_rootfs();
    std::string host_dir = work_ + "/host-dev";
    fs::create_directory(host_dir);
    fs::remove_all(rootfs + "/dev");
    fs::create_directory_symlink("/../../../../../../" + host_dir, rootfs + "/dev");
    auto config = base_config({"sh", "-c", "ls /dev/null"});
    config["root"]["path"] = rootfs;
    config["root"]["readonly"] = false;
    Result r = run_config(config);
    EXPECT_TRUE(fs::is_empty(host_dir)) << "devices created on the host: " << r.err;
}

// CVE-2022-29162: inheritable capabilities must not be granted unless asked for.
TEST_F(Cve, NoInheritableCapabilitiesByDefault) {
    auto config = base_config({"sh", "-c", "grep -E 'CapInh|CapAmb' /proc/self/status"});
    Result r = run_config(config);
    EXPECT_EQ(r.out, "CapInh:\t0000000000000000\nCapAmb:\t0000000000000000\n") << r.err;
}

}  // namespace
}  // namespace berth::test
