// Every hook stage runs, in the spec's order, with the container state on stdin.
#include <sys/stat.h>

#include <sstream>

#include "support/runtime_fixture.h"

namespace berth::test {
namespace {

using Hooks = RuntimeTest;

nlohmann::json recording_hook(const std::string& shell, const std::string& dir,
                              const std::string& stage) {
    // Appends the stage name and saves the state JSON it was given.
    return {{"path", shell},
            {"args",
             {"sh", "-c",
              "cat > " + dir + "/" + stage + ".json; echo " + stage + " >> " + dir + "/order"}}};
}

TEST_F(Hooks, AllStagesRunInOrderWithState) {
    std::string log = work_ + "/hooklog";
    mkdir(log.c_str(), 0777);
    auto config = base_config({"sh", "-c", "echo program >> /hooklog/order"});
    config["mounts"].push_back({{"destination", "/hooklog"},
                                {"type", "bind"},
                                {"source", log},
                                {"options", {"bind", "rw"}}});
    // Runtime-namespace hooks and createContainer (before pivot_root) see host paths;
    // startContainer runs inside the container and writes through the bind mount.
    config["hooks"]["prestart"] = {recording_hook("/bin/sh", log, "prestart")};
    config["hooks"]["createRuntime"] = {recording_hook("/bin/sh", log, "createRuntime")};
    config["hooks"]["createContainer"] = {recording_hook("/bin/sh", log, "createContainer")};
    config["hooks"]["startContainer"] = {recording_hook("/bin/sh", "/hooklog", "startContainer")};
    config["hooks"]["poststart"] = {recording_hook("/bin/sh", log, "poststart")};
    config["hooks"]["poststop"] = {recording_hook("/bin/sh", log, "poststop")};
    config["annotations"] = {{"org.example.test", "hooks"}};
    Result r = run_config(config);
    ASSERT_EQ(r.exit_code, 0) << r.err;

    std::string order = read_text(log + "/order");
    // poststart races the program itself; everything else is strictly ordered.
    std::string expected_before = "prestart\ncreateRuntime\ncreateContainer\nstartContainer\n";
    EXPECT_EQ(order.substr(0, expected_before.size()), expected_before) << order;
    EXPECT_NE(order.find("program\n"), std::string::npos) << order;
    EXPECT_NE(order.find("poststart\n"), std::string::npos) << order;
    EXPECT_EQ(order.substr(order.size() - 9), "poststop\n") << order;

    auto created = nlohmann::json::parse(read_text(log + "/createRuntime.json"));
    EXPECT_EQ(created["status"], "creating");
    EXPECT_GT(created["pid"].get<int>(), 0);
    EXPECT_EQ(created["annotations"]["org.example.test"], "hooks");
    EXPECT_EQ(created["id"].get<std::string>().rfind("run-", 0), 0u);
    auto started = nlohmann::json::parse(read_text(log + "/poststart.json"));
    EXPECT_EQ(started["status"], "running");
    auto stopped = nlohmann::json::parse(read_text(log + "/poststop.json"));
    EXPECT_EQ(stopped["status"], "stopped");
}

TEST_F(Hooks, FailingCreateRuntimeHookAbortsCreate) {
    auto config = base_config({"true"});
    config["hooks"]["createRuntime"] = {{{"path", "/bin/false"}}};
    std::string bundle = write_bundle(config);
    std::string id = unique_id("hookfail");
    Result r = runtime({"create", "--bundle", bundle, id});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("createRuntime hook /bin/false"), std::string::npos) << r.err;
    EXPECT_NE(runtime({"state", id}).exit_code, 0);
}

TEST_F(Hooks, HookTimeoutIsEnforced) {
    auto config = base_config({"true"});
    config["hooks"]["prestart"] = {
        {{"path", "/bin/sleep"}, {"args", {"sleep", "30"}}, {"timeout", 1}}};
    Result r = run_config(config);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("timed out"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace berth::test
