#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "berth/error.h"
#include "berth/runtime/runtime.h"
#include "berth/runtime/spec.h"

namespace berth::runtime {
namespace {

using nlohmann::json;

std::string error_of(const json& config) {
    try {
        parse_spec(config.dump());
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

TEST(SpecParse, DefaultSpecParsesWithDockerDefaults) {
    Spec spec = parse_spec(default_spec_json());
    EXPECT_EQ(spec.process.args, std::vector<std::string>{"sh"});
    ASSERT_TRUE(spec.process.capabilities);
    EXPECT_EQ(spec.process.capabilities->bounding.size(), 14u);
    EXPECT_TRUE(spec.process.capabilities->inheritable.empty());
    EXPECT_EQ(spec.linux.namespaces.size(), 6u);
    EXPECT_TRUE(spec.root_readonly);
    EXPECT_EQ(spec.process.rlimits.at(0).name, "RLIMIT_NOFILE");
}

TEST(SpecParse, ErrorsNameTheField) {
    json base = json::parse(default_spec_json());
    json c = base;
    c.erase("ociVersion");
    EXPECT_EQ(error_of(c), "config.json: ociVersion: is required");
    c = base;
    c["process"]["env"] = {1, 2};
    EXPECT_EQ(error_of(c), "config.json: process.env[0]: must be a string");
    c = base;
    c["linux"]["namespaces"].push_back({{"type", "time"}});
    EXPECT_NE(error_of(c).find("linux.namespaces[6].type"), std::string::npos) << error_of(c);
    c = base;
    c["linux"]["namespaces"].push_back({{"type", "user"}});
    EXPECT_NE(error_of(c).find("needs uidMappings and gidMappings"), std::string::npos)
        << error_of(c);
    c = base;
    c["linux"]["namespaces"].push_back({{"type", "pid"}});
    EXPECT_NE(error_of(c).find("listed twice"), std::string::npos);
    c = base;
    c["mounts"][0]["destination"] = "proc";
    EXPECT_EQ(error_of(c), "config.json: mounts[0].destination: must be an absolute path");
    c = base;
    c["hooks"] = {{"poststop", {{{"path", "relative"}}}}};
    EXPECT_EQ(error_of(c), "config.json: hooks.poststop[0].path: must be an absolute path");
    c = base;
    c["linux"]["devices"] = {{{"path", "/etc/passwd"}, {"type", "c"}, {"major", 1}, {"minor", 3}}};
    EXPECT_EQ(error_of(c), "config.json: linux.devices[0].path: must be under /dev");
    c = base;
    c["linux"]["namespaces"] = json::array();
    EXPECT_NE(error_of(c).find("hostname"), std::string::npos);
    c = base;
    c["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 10}, {"hard", 5}}};
    EXPECT_NE(error_of(c).find("soft limit exceeds hard limit"), std::string::npos);
    c = base;
    c["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_NOTIFY"}};
    EXPECT_NE(error_of(c).find("linux.seccomp"), std::string::npos);
    EXPECT_NE(error_of(json::array()).find("top level"), std::string::npos);
}

TEST(SpecParse, ConsoleSizeIsKeptAndChecked) {
    json c = json::parse(default_spec_json());
    c["process"]["consoleSize"] = {{"height", 33}, {"width", 91}};
    Spec spec = parse_spec(c.dump());
    ASSERT_TRUE(spec.process.console_size);
    EXPECT_EQ(spec.process.console_size->height, 33u);
    EXPECT_EQ(spec.process.console_size->width, 91u);
    c["process"]["consoleSize"] = {{"height", -1}, {"width", 91}};
    EXPECT_NE(error_of(c).find("process.consoleSize.height"), std::string::npos) << error_of(c);
    c["process"]["consoleSize"] = 5;
    EXPECT_EQ(error_of(c), "config.json: process.consoleSize: must be an object");
}

TEST(SpecParse, ResourcesAreParsedAndValidated) {
    json c = json::parse(default_spec_json());
    c["linux"]["resources"] = {{"devices", {{{"allow", false}, {"access", "rwm"}}}},
                               {"pids", {{"limit", 10}}},
                               {"memory", {{"limit", 1 << 26}, {"swap", 1 << 27}}},
                               {"cpu", {{"quota", 20000}, {"period", 100000}, {"cpus", "0"}}},
                               {"unified", {{"memory.high", "50M"}}}};
    Spec spec = parse_spec(c.dump());
    EXPECT_EQ(spec.linux.resources.pids_limit, 10);
    EXPECT_EQ(spec.linux.resources.memory.limit, 1 << 26);
    EXPECT_EQ(spec.linux.resources.cpu.quota, 20000);
    EXPECT_EQ(spec.linux.resources.cpu.cpus, "0");
    EXPECT_EQ(spec.linux.resources.unified.at("memory.high"), "50M");
    EXPECT_FALSE(spec.linux.resources.memory.reservation);
    c["linux"]["resources"]["memory"]["swap"] = 1 << 20;
    EXPECT_NE(error_of(c).find("linux.resources.memory.swap"), std::string::npos) << error_of(c);
    c["linux"]["resources"]["memory"] = {{"kernel", 1}};
    EXPECT_NE(error_of(c).find("linux.resources.memory.kernel"), std::string::npos);
    c["linux"]["resources"].erase("memory");
    c["linux"]["resources"]["unified"] = {{"../../escape", "1"}};
    EXPECT_NE(error_of(c).find("is not a cgroup v2 controller file"), std::string::npos);
    c["linux"]["resources"]["unified"] = json::object();
    c["linux"]["resources"]["blockIO"] = {{"weight", 5}};
    EXPECT_NE(error_of(c).find("linux.resources.blockIO.weight"), std::string::npos);
}

TEST(Signals, NamesAndNumbers) {
    EXPECT_EQ(parse_signal("KILL"), 9);
    EXPECT_EQ(parse_signal("SIGKILL"), 9);
    EXPECT_EQ(parse_signal("sigterm"), 15);
    EXPECT_EQ(parse_signal("15"), 15);
    EXPECT_EQ(parse_signal("WINCH"), 28);
    EXPECT_EQ(parse_signal("RTMIN+1"), SIGRTMIN + 1);
    EXPECT_THROW(parse_signal("NOPE"), Error);
    EXPECT_THROW(parse_signal("0"), Error);
    EXPECT_THROW(parse_signal("999"), Error);
    EXPECT_THROW(parse_signal("RTMIN+x"), Error);
}

TEST(Features, IsJsonListingWhatWeImplement) {
    json f = json::parse(features_json());
    EXPECT_EQ(f["ociVersionMax"], "1.2.0");
    EXPECT_EQ(f["hooks"].size(), 6u);
    EXPECT_NE(std::find(f["mountOptions"].begin(), f["mountOptions"].end(), "rbind"),
              f["mountOptions"].end());
    EXPECT_NE(std::find(f["linux"]["capabilities"].begin(), f["linux"]["capabilities"].end(),
                        "CAP_SYS_ADMIN"),
              f["linux"]["capabilities"].end());
}

}  // namespace
}  // namespace berth::runtime
