// What a user checks first: the program is PID 1, has its own hostname, network, mounts and
// filesystem, runs as the requested user with the requested env and cwd.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "support/runtime_fixture.h"

namespace berth::test {
namespace {

using Isolation = RuntimeTest;

TEST_F(Isolation, ProgramIsPidOneWithItsOwnHostname) {
    Result r = run_config(base_config({"sh", "-c", "echo pid=$$; hostname; cat /proc/1/cmdline"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("pid=1\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("berth-test\n"), std::string::npos) << r.out;
    char host[256];
    gethostname(host, sizeof host);
    EXPECT_EQ(r.out.find(std::string(host) + "\n"), std::string::npos);
}

TEST_F(Isolation, HostFilesAreInvisible) {
    // A file that exists on the host at a path the container could also have.
    write_text(work_ + "/host-secret", "secret");
    Result r = run_config(base_config({"sh", "-c", "ls /; test -e " + work_ + "/host-secret"}));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("bin"), std::string::npos);
    EXPECT_EQ(r.out.find("usr"), std::string::npos) << "host /usr visible: " << r.out;
}

TEST_F(Isolation, MountMadeInsideStaysInside) {
    std::string tag = "berthtest" + std::to_string(getpid());
    auto config = base_config({"sh", "-c",
                               "mount -t tmpfs " + tag + " /tmp && grep -c " + tag +
                                   " /proc/self/mountinfo && sleep 30"});
    config["process"]["capabilities"]["bounding"].push_back("CAP_SYS_ADMIN");
    config["process"]["capabilities"]["effective"].push_back("CAP_SYS_ADMIN");
    config["process"]["capabilities"]["permitted"].push_back("CAP_SYS_ADMIN");
    // The default profile refuses mount(2) whatever the capabilities, as Docker's does.
    config["linux"].erase("seccomp");
    std::string bundle = write_bundle(config);
    std::string id = unique_id("mnt");
    ASSERT_EQ(runtime({"run", "-d", "--bundle", bundle, id}).exit_code, 0);
    int pid = state(id)["pid"];
    // Poll until the container has made its mount (its own view proves the check can fail).
    bool seen_inside = false;
    for (int i = 0; i < 200 && !seen_inside; ++i) {
        seen_inside =
            read_text("/proc/" + std::to_string(pid) + "/mountinfo").find(tag) != std::string::npos;
        if (!seen_inside) usleep(20000);
    }
    EXPECT_TRUE(seen_inside);
    EXPECT_EQ(read_text("/proc/self/mountinfo").find(tag), std::string::npos);
    EXPECT_EQ(read_text("/proc/1/mountinfo").find(tag), std::string::npos);
}

TEST_F(Isolation, NewNetworkNamespaceHasOnlyLoopback) {
    Result r = run_config(base_config({"ls", "/sys/class/net"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "lo\n");
}

TEST_F(Isolation, LoopbackIsUpAndNetRawGatesPing) {
    // Default capabilities include NET_RAW: busybox ping (a raw socket) works on lo.
    Result with = run_config(base_config({"ping", "-c", "1", "-W", "2", "127.0.0.1"}));
    EXPECT_EQ(with.exit_code, 0) << with.out << with.err;
    auto config = base_config({"ping", "-c", "1", "-W", "2", "127.0.0.1"});
    for (const char* set : {"bounding", "effective", "permitted"}) {
        auto& caps = config["process"]["capabilities"][set];
        caps.erase(std::remove(caps.begin(), caps.end(), "CAP_NET_RAW"), caps.end());
    }
    Result without = run_config(config);
    EXPECT_NE(without.exit_code, 0);
    EXPECT_NE(without.err.find("ermission denied"), std::string::npos) << without.err;
}

TEST_F(Isolation, ReadonlyRootRefusesWrites) {
    Result r = run_config(base_config({"touch", "/newfile"}));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
    EXPECT_EQ(access((busybox_rootfs() + "/newfile").c_str(), F_OK), -1);
}

TEST_F(Isolation, SwitchesUserAndGroups) {
    auto config = base_config({"id"});
    config["process"]["user"] = {{"uid", 1000}, {"gid", 1000}, {"additionalGids", {2000}}};
    Result r = run_config(config);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("uid=1000(user) gid=1000(user)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("2000(extra)"), std::string::npos) << r.out;
}

TEST_F(Isolation, EnvironmentAndWorkingDirectory) {
    auto config = base_config({"sh", "-c", "echo $GREETING; pwd"});
    config["process"]["env"] = {"PATH=/bin", "GREETING=hello from berth"};
    config["process"]["cwd"] = "/etc";
    Result r = run_config(config);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "hello from berth\n/etc\n");
}

TEST_F(Isolation, DefaultCapabilitiesAreDockersFourteen) {
    Result r = run_config(base_config({"sh", "-c", "grep Cap /proc/self/status"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Docker's 14 default capabilities as a mask; no inheritable capabilities.
    EXPECT_NE(r.out.find("CapEff:\t00000000a80425fb"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("CapBnd:\t00000000a80425fb"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("CapInh:\t0000000000000000"), std::string::npos) << r.out;
}

TEST_F(Isolation, ReadonlyPathsRefuseWrites) {
    Result r = run_config(base_config({"sh", "-c", "echo x > /proc/sys/kernel/domainname"}));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
}

TEST_F(Isolation, MaskedAndReadonlyProcPaths) {
    Result r = run_config(base_config(
        {"sh", "-c", "wc -c < /proc/keys; echo 1 > /proc/sys/kernel/domainname && echo wrote"}));
    EXPECT_EQ(r.out.find("wrote"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.substr(0, 2), "0\n") << r.out;
}

TEST_F(Isolation, RlimitsAndNoNewPrivileges) {
    auto config = base_config({"sh", "-c", "ulimit -n; grep NoNewPrivs /proc/self/status"});
    config["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 321}, {"hard", 654}}};
    Result r = run_config(config);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("321\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("NoNewPrivs:\t1"), std::string::npos) << r.out;
}

TEST_F(Isolation, BindMountsAndTmpfsFromTheSpec) {
    std::string shared = work_ + "/shared";
    mkdir(shared.c_str(), 0755);
    write_text(shared + "/hello.txt", "from the host\n");
    auto config = base_config(
        {"sh", "-c",
         "cat /data/hello.txt; echo out > /data/reply; touch /scratch/x && echo tmpfs-ok"});
    config["mounts"].push_back({{"destination", "/data"},
                                {"type", "bind"},
                                {"source", shared},
                                {"options", {"rbind", "rw"}}});
    config["mounts"].push_back({{"destination", "/scratch"},
                                {"type", "tmpfs"},
                                {"source", "tmpfs"},
                                {"options", {"size=1m"}}});
    Result r = run_config(config);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "from the host\ntmpfs-ok\n");
    EXPECT_EQ(read_text(shared + "/reply"), "out\n");
}

TEST_F(Isolation, NoRuntimeFdLeaksIntoTheContainer) {
    // An fd the caller leaked to the runtime (not close-on-exec) must not reach the program.
    int leaked = open("/etc/hostname", O_RDONLY);
    ASSERT_GE(leaked, 0);
    std::string bundle = write_bundle(base_config({"ls", "/proc/self/fd"}));
    Result r = run({kRuntimeBinary, "--root", root_, "run", "--bundle", bundle, unique_id("fd")},
                   60, leaked);
    close(leaked);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // 0 1 2 and the directory fd ls itself opened.
    EXPECT_EQ(r.out, "0\n1\n2\n3\n");
}

}  // namespace
}  // namespace berth::test
