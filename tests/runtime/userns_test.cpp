// User namespaces: root inside is an unprivileged host uid, and what it creates on mounts is
// owned by that host uid.
#include <sys/stat.h>
#include <unistd.h>

#include "support/runtime_fixture.h"

namespace berth::test {
namespace {

class UserNamespace : public RuntimeTest {
  protected:
    nlohmann::json mapped_config(const std::vector<std::string>& args) {
        auto config = base_config(args);
        config["linux"]["namespaces"].push_back({{"type", "user"}});
        config["linux"]["uidMappings"] = {
            {{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
        config["linux"]["gidMappings"] = {
            {{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
        return config;
    }
};

TEST_F(UserNamespace, RootInsideIsAMappedHostUid) {
    std::string shared = work_ + "/owned";
    mkdir(shared.c_str(), 0755);
    ASSERT_EQ(chown(shared.c_str(), 100000, 100000), 0);
    auto config = mapped_config({"sh", "-c",
                                 "id -u; cat /proc/self/uid_map; stat -c %u /bin/busybox; touch "
                                 "/var/made-inside; ls /dev/null"});
    // /var exists in the image: the rootfs belongs to host root, so the mapped root cannot
    // create new mount points in it.
    config["mounts"].push_back({{"destination", "/var"},
                                {"type", "bind"},
                                {"source", shared},
                                {"options", {"rbind", "rw"}}});
    Result r = run_config(config);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.substr(0, 2), "0\n") << r.out;
    EXPECT_NE(r.out.find("0     100000      65536"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\n65534\n"), std::string::npos)
        << "host root must be unmapped inside: " << r.out;
    struct stat st;
    ASSERT_EQ(stat((shared + "/made-inside").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 100000u);
    EXPECT_EQ(st.st_gid, 100000u);
}

TEST_F(UserNamespace, HostSeesTheMappedUidAndExecJoins) {
    std::string id = unique_id("userns");
    ASSERT_EQ(runtime({"run", "-d", "--bundle", write_bundle(mapped_config({"sleep", "60"})), id})
                  .exit_code,
              0);
    int pid = state(id)["pid"];
    std::string status = read_text("/proc/" + std::to_string(pid) + "/status");
    EXPECT_NE(status.find("Uid:\t100000\t100000\t100000\t100000"), std::string::npos) << status;
    Result r = runtime({"exec", id, "sh", "-c", "id -u; cat /proc/self/uid_map"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("0     100000      65536"), std::string::npos) << r.out;
}

TEST_F(UserNamespace, MappingsWithoutANamespaceAreRefused) {
    auto config = base_config({"true"});
    config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    Result r = run_config(config);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("linux.uidMappings"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace berth::test
