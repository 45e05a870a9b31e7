// The engine's pure logic: restart policies and backoff, sizes, --format templates, the
// json-file log writer, -v parsing, capability names, and user lookup inside an image root
// (a symlinked /etc/passwd must resolve inside the rootfs, never on the host).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "berth/duration.h"
#include "berth/engine/container.h"
#include "berth/engine/inspect.h"
#include "berth/engine/logs.h"
#include "berth/error.h"
#include "bundle.h"
#include "mounts.h"
#include "network_setup.h"
#include "restart_policy.h"
#include "user_lookup.h"

namespace berth::engine {
namespace {

namespace fs = std::filesystem;

class TempDir {
  public:
    TempDir() {
        char pattern[] = "/tmp/berth-engine-unit-XXXXXX";
        if (!::mkdtemp(pattern)) throw std::runtime_error("mkdtemp");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

void write(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path) << text;
}

std::vector<std::string> lines_of(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

TEST(RestartPolicy, ParsesDockerSpellings) {
    EXPECT_EQ(parse_restart_policy("no").name, "no");
    EXPECT_EQ(parse_restart_policy("always").name, "always");
    EXPECT_EQ(parse_restart_policy("unless-stopped").name, "unless-stopped");
    RestartPolicy p = parse_restart_policy("on-failure:3");
    EXPECT_EQ(p.name, "on-failure");
    EXPECT_EQ(p.maximum_retry_count, 3);
    EXPECT_EQ(parse_restart_policy("on-failure").maximum_retry_count, 0);
    EXPECT_THROW(parse_restart_policy("sometimes"), Error);
    EXPECT_THROW(parse_restart_policy("always:3"), Error);
    EXPECT_THROW(parse_restart_policy("on-failure:x"), Error);
    EXPECT_THROW(parse_restart_policy("on-failure:"), Error);
}

TEST(RestartPolicy, DecidesLikeDocker) {
    RestartPolicy three = parse_restart_policy("on-failure:3");
    EXPECT_TRUE(restart_wanted(three, 1, 0));
    EXPECT_TRUE(restart_wanted(three, 1, 2));
    EXPECT_FALSE(restart_wanted(three, 1, 3));
    EXPECT_FALSE(restart_wanted(three, 0, 0));
    EXPECT_TRUE(restart_wanted(parse_restart_policy("on-failure"), 137, 1000));
    EXPECT_TRUE(restart_wanted(parse_restart_policy("always"), 0, 50));
    EXPECT_TRUE(restart_wanted(parse_restart_policy("unless-stopped"), 0, 50));
    EXPECT_FALSE(restart_wanted(parse_restart_policy("no"), 1, 0));
}

TEST(RestartPolicy, BackoffDoublesCapsAndResets) {
    using std::chrono::milliseconds;
    Backoff b;
    auto quick = milliseconds(5);
    EXPECT_EQ(b.next(quick), milliseconds(100));
    EXPECT_EQ(b.next(quick), milliseconds(200));
    EXPECT_EQ(b.next(quick), milliseconds(400));
    for (int i = 0; i < 20; ++i) b.next(quick);
    EXPECT_EQ(b.next(quick), milliseconds(10000));
    EXPECT_EQ(b.next(std::chrono::seconds(11)), milliseconds(100));
}

TEST(Sizes, ParseUnits) {
    EXPECT_EQ(parse_size("100"), 100u);
    EXPECT_EQ(parse_size("512k"), 512u << 10);
    EXPECT_EQ(parse_size("64m"), 64u << 20);
    EXPECT_EQ(parse_size("64MB"), 64u << 20);
    EXPECT_EQ(parse_size("1g"), 1u << 30);
    EXPECT_THROW(parse_size(""), Error);
    EXPECT_THROW(parse_size("m"), Error);
    EXPECT_THROW(parse_size("12q"), Error);
    EXPECT_THROW(parse_size("1mmm"), Error);
}

TEST(Format, WalksFieldsAndRefusesUnknownOnes) {
    nlohmann::json doc = {{"State", {{"Pid", 42}, {"Status", "running"}, {"OOMKilled", false}}},
                          {"Args", {"-c", "x"}}};
    EXPECT_EQ(apply_format(doc, "{{.State.Pid}}"), "42");
    EXPECT_EQ(apply_format(doc, "pid={{ .State.Pid }} {{.State.Status}}"), "pid=42 running");
    EXPECT_EQ(apply_format(doc, "{{.State.OOMKilled}}"), "false");
    EXPECT_EQ(apply_format(doc, "{{json .Args}}"), "[\"-c\",\"x\"]");
    EXPECT_EQ(apply_format(doc, "{{json .State.Status}}"), "\"running\"");
    EXPECT_THROW(apply_format(doc, "{{.State.Nope}}"), Error);
    EXPECT_THROW(apply_format(doc, "{{.State.Pid"), Error);
    EXPECT_THROW(apply_format(doc, "{{range .Args}}"), Error);
}

TEST(LogWriter, WritesJsonLinesAndKeepsPartialLines) {
    TempDir dir;
    std::string path = dir.path() + "/c.log";
    {
        LogWriter w(path, 0, 1);
        w.write("stdout", "one\ntw", 6);
        w.write("stderr", "err\n", 4);
        w.write("stdout", "o\n\xff\n", 4);
        w.write("stdout", "tail", 4);
        w.flush();
    }
    auto lines = lines_of(path);
    ASSERT_EQ(lines.size(), 5u);
    auto j0 = nlohmann::json::parse(lines[0]);
    EXPECT_EQ(j0["log"], "one\n");
    EXPECT_EQ(j0["stream"], "stdout");
    EXPECT_TRUE(j0["time"].get<std::string>().ends_with("Z"));
    EXPECT_EQ(nlohmann::json::parse(lines[1])["stream"], "stderr");
    EXPECT_EQ(nlohmann::json::parse(lines[2])["log"], "two\n");
    // Not UTF-8: replaced, never a crash or a broken line.
    EXPECT_EQ(nlohmann::json::parse(lines[3])["log"], "\xEF\xBF\xBD\n");
    EXPECT_EQ(nlohmann::json::parse(lines[4])["log"], "tail");
}

TEST(LogWriter, RotatesBySize) {
    TempDir dir;
    std::string path = dir.path() + "/c.log";
    LogWriter w(path, 200, 3);
    for (int i = 0; i < 20; ++i) {
        std::string line = "line " + std::to_string(i) + "\n";
        w.write("stdout", line.data(), line.size());
    }
    EXPECT_TRUE(fs::exists(path + ".1"));
    EXPECT_TRUE(fs::exists(path + ".2"));
    EXPECT_FALSE(fs::exists(path + ".3"));
    EXPECT_LE(fs::file_size(path + ".1"), 300u);
    // The newest lines are in the live file, the ones before in .1.
    auto live = lines_of(path);
    auto older = lines_of(path + ".1");
    ASSERT_FALSE(older.empty());
    std::string last = live.empty() ? older.back() : live.back();
    EXPECT_EQ(nlohmann::json::parse(last)["log"], "line 19\n");
}

TEST(VolumeFlag, ParsesBindsAndRefusesBadOnes) {
    TempDir dir;
    ContainerStore store(dir.path() + "/root", dir.path() + "/run");
    MountPoint m = parse_volume_flag(store, dir.path() + "/src/:/data:ro");
    EXPECT_EQ(m.type, "bind");
    EXPECT_EQ(m.source, dir.path() + "/src");  // cleaned, as docker does
    EXPECT_EQ(m.destination, "/data");
    EXPECT_FALSE(m.rw);
    EXPECT_TRUE(fs::is_directory(dir.path() + "/src"));  // created, as docker does
    EXPECT_TRUE(parse_volume_flag(store, dir.path() + ":/x").rw);
    EXPECT_THROW(parse_volume_flag(store, dir.path() + ":relative"), Error);
    EXPECT_THROW(parse_volume_flag(store, dir.path() + ":/"), Error);
    EXPECT_THROW(parse_volume_flag(store, dir.path() + ":/a/../b"), Error);
    EXPECT_THROW(parse_volume_flag(store, dir.path() + ":/x:rx"), Error);
    EXPECT_THROW(parse_volume_flag(store, "./rel:/x"), Error);
    EXPECT_THROW(parse_volume_flag(store, "a:b:c:d"), Error);
    EXPECT_THROW(parse_volume_flag(store, "bad name!:/x"), Error);
    // A lone container path is an anonymous volume; a name is a named volume.
    EXPECT_EQ(parse_volume_flag(store, "/only-one").type, "volume");
    MountPoint named = parse_volume_flag(store, "data:/data");
    EXPECT_EQ(named.type, "volume");
    EXPECT_EQ(named.name, "data");
    EXPECT_EQ(named.destination, "/data");
}

TEST(Capabilities, NormalizesNames) {
    EXPECT_EQ(normalize_capability("net_admin"), "CAP_NET_ADMIN");
    EXPECT_EQ(normalize_capability("CAP_SYS_ADMIN"), "CAP_SYS_ADMIN");
    EXPECT_EQ(normalize_capability("all"), "ALL");
    EXPECT_THROW(normalize_capability("CAP_FLY"), Error);
    EXPECT_EQ(default_capabilities().size(), 14u);
}

TEST(Ulimit, ParsesDockerSpellingsAndRefusesBadOnes) {
    Ulimit u = parse_ulimit("nofile=1024:2048");
    EXPECT_EQ(u.name, "nofile");
    EXPECT_EQ(u.soft, 1024);
    EXPECT_EQ(u.hard, 2048);
    EXPECT_EQ(parse_ulimit("nproc=77").hard, 77);
    EXPECT_EQ(parse_ulimit("core=-1").soft, -1);
    EXPECT_EQ(rlimit_json(parse_ulimit("core=-1")).dump(),
              R"({"hard":18446744073709551615,"soft":18446744073709551615,"type":"RLIMIT_CORE"})");
    EXPECT_EQ(rlimit_json(u).dump(), R"({"hard":2048,"soft":1024,"type":"RLIMIT_NOFILE"})");
    for (const char* bad : {"nofile", "=1", "files=1", "nofile=x", "nofile=2:1",
                            "nofile=1:", "nofile=99999999999999999999"})
        EXPECT_THROW(parse_ulimit(bad), Error) << bad;
}

TEST(Health, DurationsAndConfigsParseLikeDockers) {
    EXPECT_EQ(parse_duration_ns("30s", "--x"), 30'000'000'000);
    EXPECT_EQ(parse_duration_ns("1m30s", "--x"), 90'000'000'000);
    EXPECT_EQ(parse_duration_ns("250ms", "--x"), 250'000'000);
    EXPECT_EQ(parse_duration_ns("1.5h", "--x"), 5'400'000'000'000);
    for (const char* bad : {"", "5", "5x", "s", "-1s", "1s2"})
        EXPECT_THROW(parse_duration_ns(bad, "--x"), Error) << bad;
    HealthConfig shell = health_config_from(
        nlohmann::json::parse(R"({"Test":["CMD-SHELL","curl -f x"],"Interval":1000000000})"), "t");
    EXPECT_EQ(shell.command(), (std::vector<std::string>{"/bin/sh", "-c", "curl -f x"}));
    EXPECT_EQ(shell.interval_or_default(), 1'000'000'000);
    EXPECT_EQ(shell.timeout_or_default(), 30'000'000'000);
    EXPECT_EQ(shell.retries_or_default(), 3);
    HealthConfig exec =
        health_config_from(nlohmann::json::parse(R"({"Test":["CMD","true"]})"), "t");
    EXPECT_EQ(exec.command(), std::vector<std::string>{"true"});
    EXPECT_TRUE(health_config_from(nlohmann::json::parse(R"({"Test":["NONE"]})"), "t").disabled());
    EXPECT_THROW(health_config_from(nlohmann::json::parse(R"({"Test":["RUN","x"]})"), "t"), Error);
    EXPECT_THROW(health_config_from(nlohmann::json::parse(R"({"Test":["CMD"]})"), "t"), Error);
    EXPECT_THROW(health_config_from(nlohmann::json::parse(R"({"Interval":-5})"), "t"), Error);
}

class ImageRoot : public ::testing::Test {
  protected:
    void SetUp() override {
        root_ = dir_.path() + "/rootfs";
        write(root_ + "/etc/passwd",
              "root:x:0:0:root:/root:/bin/sh\n"
              "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
              "app:x:1000:1000::/home/app:/bin/sh\n");
        write(root_ + "/etc/group",
              "root:x:0:\nstaff:x:50:app\napp:x:1000:\nwheel:x:10:root,app\n");
        fd_ = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        ASSERT_GE(fd_, 0);
    }
    void TearDown() override { ::close(fd_); }
    TempDir dir_;
    std::string root_;
    int fd_ = -1;
};

TEST_F(ImageRoot, ResolvesNamesFromTheImage) {
    ResolvedUser u = resolve_user(fd_, "app");
    EXPECT_EQ(u.uid, 1000u);
    EXPECT_EQ(u.gid, 1000u);
    EXPECT_EQ(u.home, "/home/app");
    EXPECT_EQ(u.additional_gids, (std::vector<gid_t>{50, 10}));
    u = resolve_user(fd_, "nobody:staff");
    EXPECT_EQ(u.uid, 65534u);
    EXPECT_EQ(u.gid, 50u);
    u = resolve_user(fd_, "4242:4343");  // numeric ids need no entry
    EXPECT_EQ(u.uid, 4242u);
    EXPECT_EQ(u.gid, 4343u);
    EXPECT_EQ(resolve_user(fd_, "1000").home, "/home/app");
    EXPECT_THROW(resolve_user(fd_, "ghost"), Error);
    EXPECT_THROW(resolve_user(fd_, "app:ghosts"), Error);
    EXPECT_EQ(resolve_user(fd_, "").uid, 0u);
}

TEST_F(ImageRoot, SymlinkedPasswdResolvesInsideTheRoot) {
    // An image whose /etc/passwd points at "/etc/host-passwd": inside the rootfs, that is
    // rootfs/etc/host-passwd; the host's /etc/passwd (with its real root line) is never read.
    fs::remove(root_ + "/etc/passwd");
    fs::create_symlink("/etc/host-passwd", root_ + "/etc/passwd");
    write(root_ + "/etc/host-passwd", "root:x:77:77::/:/bin/sh\n");
    EXPECT_EQ(resolve_user(fd_, "root").uid, 77u);
    fs::remove(root_ + "/etc/passwd");
    fs::create_symlink("../../../../../../../../etc/passwd", root_ + "/etc/passwd");
    // Clamped to the rootfs: ../ past its top stays at its top, so this is rootfs/etc/passwd
    // again, a symlink loop; the host file is not an answer.
    EXPECT_THROW(resolve_user(fd_, "daemon"), Error);
    // A FIFO instead of a file must not block the lookup.
    fs::remove(root_ + "/etc/passwd");
    ASSERT_EQ(::mkfifo((root_ + "/etc/passwd").c_str(), 0644), 0);
    EXPECT_THROW(resolve_user(fd_, "root"), Error);
}

TEST_F(ImageRoot, WorkingDirIsCreatedInsideTheRoot) {
    make_dirs_in_root(fd_, "/srv/app/data");
    EXPECT_TRUE(fs::is_directory(root_ + "/srv/app/data"));
    // A symlink to an absolute path is followed inside the rootfs, never on the host.
    std::string outside = dir_.path() + "/outside";
    fs::create_directories(outside);
    fs::create_symlink(outside, root_ + "/escape");
    try {
        make_dirs_in_root(fd_, "/escape/made");
    } catch (const Error&) {
    }
    EXPECT_FALSE(fs::exists(outside + "/made"));
    EXPECT_THROW(make_dirs_in_root(fd_, "/srv/../../x"), Error);
}

TEST(RecordedNetworks, KeepOrderRoundTripAndPromoteTheNextOnDisconnect) {
    HostConfig h;
    h.network_mode = "net1";
    h.ipv4_address = "10.9.0.5";
    h.network_aliases = {"one"};
    add_recorded_network(h, {"net2", "", {"db", "cache"}});
    add_recorded_network(h, {"net3", "10.7.0.9", {}});
    ContainerRecord r;
    r.id = "abc";
    r.name = "c";
    r.host_config = h;
    HostConfig back = ContainerRecord::from_json(r.to_json()).host_config;
    auto all = recorded_networks(back);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].network, "net1");
    EXPECT_EQ(all[0].ipv4_address, "10.9.0.5");
    EXPECT_EQ(all[1].network, "net2");
    EXPECT_EQ(all[1].aliases, (std::vector<std::string>{"db", "cache"}));
    EXPECT_EQ(all[2].ipv4_address, "10.7.0.9");
    EXPECT_TRUE(records_network(back, "net3"));
    EXPECT_FALSE(records_network(back, "net4"));

    EXPECT_FALSE(remove_recorded_network(back, "net4"));
    EXPECT_TRUE(remove_recorded_network(back, "net1"));  // the first: net2 takes its place
    EXPECT_EQ(back.network_mode, "net2");
    EXPECT_EQ(back.ipv4_address, "");
    EXPECT_EQ(back.network_aliases, (std::vector<std::string>{"db", "cache"}));
    ASSERT_EQ(back.extra_networks.size(), 1u);
    EXPECT_EQ(back.extra_networks[0].network, "net3");
    EXPECT_TRUE(remove_recorded_network(back, "net3"));
    EXPECT_TRUE(remove_recorded_network(back, "net2"));  // the last: no network at all
    EXPECT_EQ(back.network_mode, "none");
    EXPECT_TRUE(back.networks_disconnected);
    EXPECT_TRUE(recorded_networks(back).empty());
    r.host_config = back;
    EXPECT_TRUE(ContainerRecord::from_json(r.to_json()).host_config.networks_disconnected);
    EXPECT_TRUE(idle_network_settings(r)["Networks"].empty());  // docker: no network at all
    add_recorded_network(back, {"net9", "", {}});  // connect again: the first once more
    EXPECT_EQ(back.network_mode, "net9");
    EXPECT_FALSE(back.networks_disconnected);
}

TEST(RecordedNetworks, OldRecordsWithoutNetworkModeMeanNone) {
    ContainerRecord r;
    r.id = "abc";
    r.name = "c";
    nlohmann::json j = r.to_json();
    j["HostConfig"].erase("NetworkMode");
    j["HostConfig"].erase("BerthExtraNetworks");
    HostConfig back = ContainerRecord::from_json(j).host_config;
    EXPECT_EQ(back.network_mode, "none");
    EXPECT_TRUE(back.extra_networks.empty());
}

TEST(RecordedNetworks, IdleSettingsListEveryRecordedNetwork) {
    ContainerRecord r;
    r.host_config.network_mode = "net1";
    add_recorded_network(r.host_config, {"net2", "", {"db"}});
    nlohmann::json nets = idle_network_settings(r)["Networks"];
    ASSERT_EQ(nets.size(), 2u);
    EXPECT_TRUE(nets.contains("net1"));
    EXPECT_EQ(nets["net2"]["Aliases"], nlohmann::json({"db"}));
    r.host_config.network_mode = "none";
    r.host_config.extra_networks.clear();
    nets = idle_network_settings(r)["Networks"];
    ASSERT_EQ(nets.size(), 1u);
    EXPECT_TRUE(nets.contains("none"));
}

}  // namespace
}  // namespace berth::engine
