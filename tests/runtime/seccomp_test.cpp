// linux.seccomp end to end: a profile's rules reach the kernel (errno, argument conditions), the
// default profile from `spec` blocks what Docker's blocks even with CAP_SYS_ADMIN, and the
// filter is installed whether or not no_new_privs is set.
#include <filesystem>

#include "support/runtime_fixture.h"

namespace berth::test {
namespace {

using nlohmann::json;

class Seccomp : public RuntimeTest {
  protected:
    // base_config with a writable tmpfs on /tmp, so a refused mkdir there is the filter's doing.
    json config_with_tmp(const std::string& script) const {
        json config = base_config({"sh", "-c", script});
        config["mounts"].push_back({{"destination", "/tmp"},
                                    {"type", "tmpfs"},
                                    {"source", "tmpfs"},
                                    {"options", {"size=1m"}}});
        return config;
    }
    static void add_sys_admin(json& config) {
        for (const char* set : {"bounding", "effective", "permitted"})
            config["process"]["capabilities"][set].push_back("CAP_SYS_ADMIN");
    }
};

TEST_F(Seccomp, ErrnoRuleMakesTheSyscallFail) {
    json config = config_with_tmp("mkdir /tmp/x && echo made");
    Result control = run_config(config);
    ASSERT_EQ(control.exit_code, 0) << control.err;
    ASSERT_EQ(control.out, "made\n");

    // Both spellings: which one busybox uses depends on how it was built.
    config["linux"]["seccomp"] = {
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"syscalls",
         {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}};
    Result r = run_config(config);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
}

TEST_F(Seccomp, ArgumentConditionsSelectTheCall) {
    // kill(pid, 0) refused, kill(pid, SIGCONT) allowed: only argument 1 differs.
    json config = base_config(
        {"sh", "-c", "kill -0 $$ && echo zero-allowed; kill -CONT $$ && echo cont-allowed"});
    config["linux"]["seccomp"] = {
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"syscalls",
         {{{"names", {"kill"}},
           {"action", "SCMP_ACT_ERRNO"},
           {"errnoRet", 1},
           {"args", {{{"index", 1}, {"value", 0}, {"op", "SCMP_CMP_EQ"}}}}}}}};
    Result r = run_config(config);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "cont-allowed\n");
    EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
}

TEST_F(Seccomp, DefaultProfileIsInstalled) {
    Result r = run_config(base_config({"sh", "-c", "grep Seccomp /proc/self/status; echo ok"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("Seccomp:\t2\n"), std::string::npos) << r.out;  // SECCOMP_MODE_FILTER
    EXPECT_NE(r.out.find("ok\n"), std::string::npos) << r.out;
}

TEST_F(Seccomp, DefaultProfileBlocksMountAndUnshareEvenWithSysAdmin) {
    // As Docker's profile for a container without CAP_SYS_ADMIN in its defaults: the static
    // profile leaves mount, unshare... out, whatever capabilities the process holds.
    json config = config_with_tmp(
        "unshare -n true && echo unshared; mount -t tmpfs berthsc /tmp/ && echo mounted; "
        "grep -c berthsc /proc/self/mountinfo");
    add_sys_admin(config);
    Result r = run_config(config);
    EXPECT_EQ(r.out, "0\n") << r.err;
    EXPECT_NE(r.err.find("unshare(0x40000000): Operation not permitted"), std::string::npos)
        << r.err;

    // The capability itself is effective: without the profile both succeed.
    config["linux"].erase("seccomp");
    Result control = run_config(config);
    EXPECT_EQ(control.out, "unshared\nmounted\n1\n") << control.err;
}

TEST_F(Seccomp, LoadedBeforeCapabilitiesAreDroppedWithoutNoNewPrivileges) {
    // Without no_new_privs installing a filter needs CAP_SYS_ADMIN, which uid 1000 with
    // Docker's capabilities does not have: the runtime must load it while it still can.
    json config =
        base_config({"sh", "-c", "id -u; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status"});
    config["process"]["noNewPrivileges"] = false;
    config["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
    Result r = run_config(config);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "1000\nNoNewPrivs:\t0\nSeccomp:\t2\n");
}

TEST_F(Seccomp, BadProfileFailsCreateNamingTheField) {
    json config = base_config({"true"});
    config["linux"]["seccomp"]["syscalls"][0]["action"] = "SCMP_ACT_SOMETIMES";
    std::string bundle = write_bundle(config);
    Result r = runtime({"create", "--bundle", bundle, unique_id("bad")});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("linux.seccomp.syscalls[0].action: unknown seccomp action"),
              std::string::npos)
        << r.err;
}

TEST_F(Seccomp, CompiledFilterIsCachedAndAForgedEntryIsIgnored) {
    // The default profile blocks unshare; the cached program must keep doing so.
    auto config = base_config({"unshare", "-n", "true"});
    Result first = run_config(config);
    EXPECT_NE(first.exit_code, 0);
    std::vector<std::filesystem::path> entries;
    for (const auto& e : std::filesystem::directory_iterator(root_ + "/.seccomp-cache"))
        entries.push_back(e.path());
    ASSERT_EQ(entries.size(), 1u);
    // An entry whose key does not match (here: garbage) is recompiled, never trusted.
    write_text(entries[0], "999\nnot a profile");
    Result second = run_config(config);
    EXPECT_NE(second.exit_code, 0);
    EXPECT_NE(second.err.find("Operation not permitted"), std::string::npos) << second.err;
    EXPECT_NE(read_text(entries[0]).find("libseccomp "), std::string::npos);
    Result cached = run_config(config);
    EXPECT_NE(cached.err.find("Operation not permitted"), std::string::npos) << cached.err;
}

}  // namespace
}  // namespace berth::test
