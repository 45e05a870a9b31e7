// process.terminal: the pty master reaches the caller over --console-socket, the program runs
// on the slave, and /dev/console is that pts device (CVE-2025-52565: never an image file).
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "berth/error.h"
#include "console.h"
#include "support/runtime_fixture.h"

namespace berth::test {
namespace {

namespace fs = std::filesystem;

// The caller's side of --console-socket, as conmon implements it.
class ConsoleSocket {
  public:
    explicit ConsoleSocket(const std::string& path) : path_(path) {
        listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        listen(listen_fd_, 1);
    }
    ~ConsoleSocket() {
        if (master_ >= 0) close(master_);
        close(listen_fd_);
    }
    // The pty master the runtime sent; -1 if none arrived.
    int receive_master() {
        berth::UniqueFd conn(accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC));
        if (!conn) return -1;
        try {
            master_ = runtime::receive_fd(conn.get()).release();
        } catch (const berth::Error&) {
            master_ = -1;
        }
        return master_;
    }
    // Everything the program writes until it exits (EIO on the master) or the timeout.
    std::string read_all(int timeout_ms = 10000) {
        std::string out;
        pollfd p{master_, POLLIN, 0};
        while (poll(&p, 1, timeout_ms) > 0) {
            char buf[4096];
            ssize_t n = read(master_, buf, sizeof buf);
            if (n <= 0) break;
            out.append(buf, static_cast<size_t>(n));
        }
        return out;
    }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
    int listen_fd_ = -1;
    int master_ = -1;
};

using Console = RuntimeTest;

TEST_F(Console, ProgramRunsOnAPtyWhoseMasterReachesTheCaller) {
    auto config = base_config({"sh", "-c", "tty; stat -c '%t,%T' /dev/console; echo done"});
    config["process"]["terminal"] = true;
    ConsoleSocket console(work_ + "/console.sock");
    std::string id = unique_id("tty");
    Result created = runtime(
        {"create", "--bundle", write_bundle(config), "--console-socket", console.path(), id});
    ASSERT_EQ(created.exit_code, 0) << created.err;
    ASSERT_GE(console.receive_master(), 0);
    ASSERT_EQ(runtime({"start", id}).exit_code, 0);
    std::string out = console.read_all();
    EXPECT_NE(out.find("/dev/pts/0"), std::string::npos) << out;
    EXPECT_NE(out.find("88,0"), std::string::npos)
        << "/dev/console must be pts 136:0 (0x88): " << out;
    EXPECT_NE(out.find("done"), std::string::npos) << out;
}

TEST_F(Console, TerminalWithoutConsoleSocketIsRefused) {
    auto config = base_config({"true"});
    config["process"]["terminal"] = true;
    std::string id = unique_id("tty");
    Result r = runtime({"create", "--bundle", write_bundle(config), id});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("--console-socket"), std::string::npos) << r.err;
}

TEST_F(Console, ConsoleSymlinkInTheImageDoesNotReachTheHost) {
    std::string rootfs = copy_of_rootfs("console-rootfs");
    std::string host_file = work_ + "/host-console-target";
    write_text(host_file, "host\n");
    fs::create_directories(rootfs + "/dev/pts");
    fs::create_symlink("/../../../../../../" + host_file, rootfs + "/dev/console");
    auto config =
        base_config({"sh", "-c", "echo written > /dev/console; stat -c '%t,%T' /dev/console"});
    config["root"]["path"] = rootfs;
    config["root"]["readonly"] = false;
    config["process"]["terminal"] = true;
    // The image's own /dev (no tmpfs), keeping only devpts so a pty exists.
    nlohmann::json mounts = nlohmann::json::array();
    for (auto& m : config["mounts"]) {
        std::string dest = m["destination"];
        if (dest.rfind("/dev", 0) != 0 || dest == "/dev/pts") mounts.push_back(m);
    }
    config["mounts"] = mounts;
    ConsoleSocket console(work_ + "/console.sock");
    std::string id = unique_id("tty");
    Result created = runtime(
        {"create", "--bundle", write_bundle(config), "--console-socket", console.path(), id});
    if (created.exit_code == 0) {
        ASSERT_GE(console.receive_master(), 0);
        runtime({"start", id});
        std::string out = console.read_all();
        EXPECT_NE(out.find("88,"), std::string::npos) << out;
    }
    EXPECT_EQ(read_text(host_file), "host\n");
}

}  // namespace
}  // namespace berth::test
