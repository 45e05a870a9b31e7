// `berth inspect` of a container, field by field, through the CLI in a private store: what
// create recorded (Config, HostConfig, Mounts, GraphDriver), the State while created,
// running and exited, and the OCI bundle the monitor generated (the runtime's hardening).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/network_cleanup.h"
#include "support/subprocess.h"

namespace berth::test {
namespace {

using nlohmann::json;
const char* kImage = "berth-fixtures/busybox:1";

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class EngineInspect : public ::testing::Test {
  protected:
    void SetUp() override {
        char pattern[] = "/tmp/berth-engine-inspect-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        dir_ = pattern;
        const char* prebuilt = ::getenv("BERTH_OCI_FIXTURES");
        std::string layout = prebuilt ? std::string(prebuilt) + "/busybox" : "";
        if (layout.empty() || !std::filesystem::exists(layout)) {
            layout = dir_ + "/busybox";
            Result r = run({"/bin/bash", BERTH_OCI_IMAGE_SCRIPT, "busybox", layout}, 120);
            ASSERT_EQ(r.exit_code, 0) << r.err;
        }
        Result r = berth({"image", "load", "--input", layout});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        std::filesystem::create_directories(dir_ + "/host");
    }
    void TearDown() override {
        for (const auto& e : std::filesystem::directory_iterator(dir_ + "/root/containers"))
            if (e.is_directory()) berth({"rm", "-f", e.path().filename().string()});
        cleanup_store_networks(BERTH_BINARY, dir_ + "/root", dir_ + "/run");
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    Result berth(std::vector<std::string> args) {
        args.insert(args.begin(),
                    {BERTH_BINARY, "--root", dir_ + "/root", "--runroot", dir_ + "/run"});
        return run(args, 60);
    }
    json inspect(const std::string& ref) {
        Result r = berth({"inspect", ref});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        json doc = json::parse(r.out);
        EXPECT_TRUE(doc.is_array() && doc.size() == 1);
        return doc[0];
    }
    std::string dir_;
};

TEST_F(EngineInspect, CreatedContainerShowsWhatWasAsked) {
    Result c = berth({"create",    "--name",
                      "probe",     "-e",
                      "A=1",       "-w",
                      "/tmp",      "-u",
                      "nobody",    "--entrypoint",
                      "/bin/sh",   "--hostname",
                      "h1",        "--memory",
                      "64m",       "--cpus",
                      "0.5",       "--pids-limit",
                      "50",        "--cap-add",
                      "net_admin", "--cap-drop",
                      "MKNOD",     "--read-only",
                      "--restart", "on-failure:2",
                      "--label",   "team=berth",
                      "-v",        dir_ + "/host:/data:ro",
                      "--tmpfs",   "/scratch:size=1m",
                      kImage,      "-c",
                      "sleep 100"});
    ASSERT_EQ(c.exit_code, 0) << c.err;
    std::string id = c.out.substr(0, c.out.size() - 1);
    ASSERT_EQ(id.size(), 64u);
    json image = json::parse(berth({"image", "inspect", kImage}).out)[0];

    json d = inspect("probe");
    EXPECT_EQ(d["Id"], id);
    EXPECT_EQ(d["Name"], "/probe");
    EXPECT_EQ(d["Image"], image["Id"]);
    EXPECT_EQ(d["Path"], "/bin/sh");
    EXPECT_EQ(d["Args"], json({"-c", "sleep 100"}));
    EXPECT_EQ(d["RestartCount"], 0);
    EXPECT_EQ(d["Driver"], "overlay");
    EXPECT_TRUE(d["Created"].get<std::string>().ends_with("Z"));

    const json& s = d["State"];
    EXPECT_EQ(s["Status"], "created");
    EXPECT_EQ(s["Running"], false);
    EXPECT_EQ(s["Paused"], false);
    EXPECT_EQ(s["Restarting"], false);
    EXPECT_EQ(s["OOMKilled"], false);
    EXPECT_EQ(s["Dead"], false);
    EXPECT_EQ(s["Pid"], 0);
    EXPECT_EQ(s["ExitCode"], 0);
    EXPECT_EQ(s["Error"], "");
    EXPECT_EQ(s["StartedAt"], "0001-01-01T00:00:00Z");
    EXPECT_EQ(s["FinishedAt"], "0001-01-01T00:00:00Z");

    const json& cfg = d["Config"];
    EXPECT_EQ(cfg["Hostname"], "h1");
    EXPECT_EQ(cfg["User"], "nobody");
    EXPECT_EQ(cfg["WorkingDir"], "/tmp");
    EXPECT_EQ(cfg["Image"], kImage);
    EXPECT_EQ(cfg["Entrypoint"], json({"/bin/sh"}));
    EXPECT_EQ(cfg["Cmd"], json({"-c", "sleep 100"}));
    EXPECT_EQ(cfg["Labels"]["team"], "berth");
    EXPECT_EQ(cfg["Tty"], false);
    EXPECT_EQ(cfg["OpenStdin"], false);
    // The image's PATH first, then ours.
    EXPECT_EQ(cfg["Env"].back(), "A=1");
    EXPECT_EQ(cfg["Env"].front().get<std::string>().rfind("PATH=", 0), 0u);

    const json& h = d["HostConfig"];
    EXPECT_EQ(h["Memory"], 64 << 20);
    EXPECT_EQ(h["NanoCpus"], 500000000);
    EXPECT_EQ(h["PidsLimit"], 50);
    EXPECT_EQ(h["CapAdd"], json({"CAP_NET_ADMIN"}));
    EXPECT_EQ(h["CapDrop"], json({"CAP_MKNOD"}));
    EXPECT_EQ(h["ReadonlyRootfs"], true);
    EXPECT_EQ(h["RestartPolicy"]["Name"], "on-failure");
    EXPECT_EQ(h["RestartPolicy"]["MaximumRetryCount"], 2);
    EXPECT_EQ(h["NetworkMode"], "bridge");  // docker's default network
    EXPECT_EQ(h["AutoRemove"], false);
    EXPECT_EQ(h["Binds"], json({dir_ + "/host:/data:ro"}));
    EXPECT_EQ(h["Tmpfs"]["/scratch"], "size=1m");

    ASSERT_EQ(d["Mounts"].size(), 2u);
    const json& bind = d["Mounts"][0];
    EXPECT_EQ(bind["Type"], "bind");
    EXPECT_EQ(bind["Source"], dir_ + "/host");
    EXPECT_EQ(bind["Destination"], "/data");
    EXPECT_EQ(bind["RW"], false);
    EXPECT_EQ(bind["Mode"], "ro");
    EXPECT_EQ(d["Mounts"][1]["Type"], "tmpfs");
    EXPECT_EQ(d["Mounts"][1]["Destination"], "/scratch");

    const json& g = d["GraphDriver"];
    EXPECT_EQ(g["Name"], "overlay");
    std::string cdir = dir_ + "/root/containers/" + id;
    EXPECT_EQ(g["Data"]["UpperDir"], cdir + "/rw/upper");
    EXPECT_EQ(g["Data"]["WorkDir"], cdir + "/rw/work");
    EXPECT_EQ(g["Data"]["MergedDir"], cdir + "/bundle/rootfs");
    std::string lower = g["Data"]["LowerDir"];
    EXPECT_EQ(lower.rfind(dir_ + "/root/layers/", 0), 0u) << lower;
    EXPECT_TRUE(std::filesystem::is_directory(lower.substr(0, lower.find(':'))));
    EXPECT_EQ(d["HostsPath"], cdir + "/hosts");
    EXPECT_EQ(d["LogPath"], cdir + "/container.log");
    // Not running: the recorded network, no address yet.
    EXPECT_TRUE(d["NetworkSettings"]["Networks"].contains("bridge"));
    EXPECT_EQ(d["NetworkSettings"]["Networks"]["bridge"]["IPAddress"], "");

    // --format walks the same document.
    Result f = berth({"inspect", "--format",
                      "{{.State.Status}}/{{.HostConfig.Memory}}/{{json .Args}}", id.substr(0, 10)});
    EXPECT_EQ(f.exit_code, 0) << f.err;
    EXPECT_EQ(f.out, "created/67108864/[\"-c\",\"sleep 100\"]\n");
    Result bad = berth({"inspect", "--format", "{{.State.Nope}}", "probe"});
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.err.find("no field \"Nope\""), std::string::npos) << bad.err;
}

TEST_F(EngineInspect, StateFollowsTheContainerAndTheBundleIsHardened) {
    Result c = berth({"run", "-d", "--name", "live", "--cap-add", "NET_ADMIN", "--pids-limit", "20",
                      kImage, "sleep", "100"});
    ASSERT_EQ(c.exit_code, 0) << c.err;
    std::string id = c.out.substr(0, c.out.size() - 1);
    json d = inspect("live");
    const json& s = d["State"];
    EXPECT_EQ(s["Status"], "running");
    EXPECT_EQ(s["Running"], true);
    int pid = s["Pid"];
    ASSERT_GT(pid, 1);
    std::string cmdline = slurp("/proc/" + std::to_string(pid) + "/cmdline");
    EXPECT_EQ(cmdline.substr(0, 5), std::string("sleep"));
    EXPECT_NE(s["StartedAt"], "0001-01-01T00:00:00Z");
    EXPECT_GE(s["StartedAt"].get<std::string>(), d["Created"].get<std::string>());
    EXPECT_EQ(s["FinishedAt"], "0001-01-01T00:00:00Z");
    // The rootfs is an overlay mount while the container runs.
    std::string mounts = slurp("/proc/self/mounts");
    EXPECT_NE(
        mounts.find(" " + d["GraphDriver"]["Data"]["MergedDir"].get<std::string>() + " overlay "),
        std::string::npos);

    // The bundle: the runtime's default hardening with our changes.
    json spec = json::parse(slurp(dir_ + "/root/containers/" + id + "/bundle/config.json"));
    const json& caps = spec["process"]["capabilities"]["bounding"];
    EXPECT_EQ(caps.size(), 15u);  // Docker's 14 + NET_ADMIN
    EXPECT_NE(std::find(caps.begin(), caps.end(), "CAP_NET_ADMIN"), caps.end());
    EXPECT_EQ(std::find(caps.begin(), caps.end(), "CAP_SYS_ADMIN"), caps.end());
    EXPECT_TRUE(spec["linux"].contains("seccomp"));
    EXPECT_EQ(spec["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
    EXPECT_NE(std::find(spec["linux"]["maskedPaths"].begin(), spec["linux"]["maskedPaths"].end(),
                        "/proc/kcore"),
              spec["linux"]["maskedPaths"].end());
    EXPECT_EQ(spec["linux"]["resources"]["pids"]["limit"], 20);
    EXPECT_EQ(spec["root"]["readonly"], false);
    // No --network: the default network "bridge", its namespace joined by path.
    EXPECT_NE(d["NetworkSettings"]["Networks"]["bridge"]["IPAddress"], "");
    bool joined = false;
    for (const json& ns : spec["linux"]["namespaces"])
        joined = joined || (ns["type"] == "network" && ns.value("path", "") != "");
    EXPECT_TRUE(joined);

    Result stop = berth({"stop", "-t", "1", "live"});
    ASSERT_EQ(stop.exit_code, 0) << stop.err;
    d = inspect(id);
    EXPECT_EQ(d["State"]["Status"], "exited");
    EXPECT_EQ(d["State"]["Running"], false);
    EXPECT_EQ(d["State"]["Pid"], 0);
    EXPECT_EQ(d["State"]["ExitCode"], 137);  // sleep as pid 1 ignores SIGTERM: killed
    EXPECT_GE(d["State"]["FinishedAt"].get<std::string>(),
              d["State"]["StartedAt"].get<std::string>());
    // ... and unmounted once it exited.
    std::string merged = d["GraphDriver"]["Data"]["MergedDir"];
    EXPECT_EQ(slurp("/proc/self/mounts").find(" " + merged + " "), std::string::npos);
}

}  // namespace
}  // namespace berth::test
