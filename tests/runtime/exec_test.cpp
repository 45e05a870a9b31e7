// exec: a second process that joins the running container's namespaces and cgroup and runs
// with the container's settings unless told otherwise.
#include <unistd.h>

#include "support/runtime_fixture.h"

namespace berth::test {
namespace {

class Exec : public RuntimeTest {
  protected:
    std::string start_sleeper() {
        auto config = base_config({"sleep", "60"});
        config["linux"]["cgroupsPath"] =
            "berth-test-" + std::to_string(getpid()) + "/" + unique_id("exec");
        std::string id = unique_id("exec");
        Result r = runtime({"run", "-d", "--bundle", write_bundle(config), id});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return id;
    }
};

TEST_F(Exec, JoinsTheContainersNamespaces) {
    std::string id = start_sleeper();
    Result r =
        runtime({"exec", id, "sh", "-c",
                 "hostname; echo pid=$$; tr '\\0' ' ' < /proc/1/cmdline; echo; ls /sys/class/net"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("berth-test\n"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("pid=1\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\nsleep 60 \nlo\n"), std::string::npos)
        << r.out;  // sees the init, only lo
}

TEST_F(Exec, OverridesUserEnvAndCwdAndReturnsTheExitCode) {
    std::string id = start_sleeper();
    Result r = runtime({"exec", "-u", "1000:1000", "-e", "WHO=exec", "--cwd", "/etc", id, "sh",
                        "-c", "id -u; echo $WHO; pwd; exit 7"});
    EXPECT_EQ(r.exit_code, 7) << r.err;
    EXPECT_EQ(r.out, "1000\nexec\n/etc\n");
    Result missing = runtime({"exec", id, "/no/such/binary"});
    EXPECT_EQ(missing.exit_code, 127);
    EXPECT_NE(missing.err.find("/no/such/binary"), std::string::npos) << missing.err;
}

TEST_F(Exec, ProcessJoinsTheContainerCgroupAndSeccomp) {
    std::string id = start_sleeper();
    std::string pid_file = work_ + "/exec.pid";
    ASSERT_EQ(runtime({"exec", "-d", "--pid-file", pid_file, id, "sleep", "30"}).exit_code, 0);
    std::string exec_pid = read_text(pid_file);
    std::string init_pid = std::to_string(state(id)["pid"].get<int>());
    EXPECT_EQ(read_text("/proc/" + exec_pid + "/cgroup"),
              read_text("/proc/" + init_pid + "/cgroup"));
    auto seccomp_line = [](const std::string& status) {
        size_t at = status.find("Seccomp:");
        return at == std::string::npos ? std::string()
                                       : status.substr(at, status.find('\n', at) - at);
    };
    EXPECT_EQ(seccomp_line(read_text("/proc/" + exec_pid + "/status")),
              seccomp_line(read_text("/proc/" + init_pid + "/status")));
    Result ps = runtime({"ps", "--format", "json", id});
    EXPECT_NE(ps.out.find(exec_pid), std::string::npos) << ps.out;
}

TEST_F(Exec, RefusedInAStoppedContainer) {
    std::string id = unique_id("exec");
    ASSERT_EQ(runtime({"create", "--bundle", write_bundle(base_config({"true"})), id}).exit_code,
              0);
    Result created = runtime({"exec", id, "true"});
    EXPECT_NE(created.exit_code, 0);
    EXPECT_NE(created.err.find("created"), std::string::npos) << created.err;
}

}  // namespace
}  // namespace berth::test
