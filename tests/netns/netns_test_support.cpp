#include "netns_test_support.h"

#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <signal.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "berth/file_io.h"
#include "berth/netns/firewall.h"
#include "berth/netns/namespace.h"

namespace berth::netns::test {

Shell sh(const std::string& command) {
    Shell result;
    std::string full = command + " 2>&1";
    FILE* pipe = ::popen(full.c_str(), "r");
    if (!pipe) throw std::runtime_error("popen " + command);
    std::array<char, 4096> buf{};
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.out.append(buf.data(), n);
    int status = ::pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

std::string in_ns(const std::string& netns_path) {
    return "nsenter --net=" + netns_path + " -- ";
}

namespace {
std::atomic<int> counter{0};
}

NetworksSandbox::NetworksSandbox(const std::string& dns_daemon) {
    char tmpl[] = "/tmp/berth-netns-test-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
    dir_ = tmpl;
    NetworksConfig config = NetworksConfig::for_root(dir_ + "/root");
    config.netns_dir = dir_ + "/netns";
    config.table = "berth_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    config.dns_dir = dir_ + "/dns";
    config.dns_pid_file = dir_ + "/berth-dns.pid";
    config.dns_daemon = dns_daemon;
    networks_ = std::make_unique<Networks>(config);
}

std::string NetworksSandbox::unique(const std::string& prefix) const {
    return prefix + std::to_string(::getpid()) + "x" + std::to_string(counter++);
}

NetworksSandbox::~NetworksSandbox() {
    // The daemon's log explains a failed DNS assertion.
    if (::testing::Test::HasFailure() && berth::path_exists(dir_ + "/berth-dns.log"))
        std::fprintf(stderr, "berth-dns log:\n%s\n", read_file(dir_ + "/berth-dns.log").c_str());
    try {
        for (const auto& net : networks_->list())
            for (const auto& [id, ep] : net.endpoints) networks_->release_container(id);
        for (const auto& net : networks_->list()) networks_->remove(net.id);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sandbox cleanup: %s\n", e.what());
    }
    // A daemon left by a failed test: end it by its pid.
    try {
        int pid = std::stoi(read_file(networks_->config().dns_pid_file));
        if (pid > 0) ::kill(pid, SIGTERM);
    } catch (const std::exception&) {
    }
    try {
        Firewall(networks_->config().table).apply({});
    } catch (const std::exception&) {
    }
    std::error_code ec;
    if (std::filesystem::exists(dir_ + "/netns", ec))
        for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/netns", ec))
            remove_netns_mount(entry.path().string());
    for (const char* sub : {"/outside", "/ns-c1"}) remove_netns_mount(dir_ + sub);
    // Namespace mount directories were made bind mounts of themselves (shared propagation).
    ::umount2((dir_ + "/netns").c_str(), MNT_DETACH);
    ::umount2(dir_.c_str(), MNT_DETACH);
    std::filesystem::remove_all(dir_, ec);
}

}  // namespace berth::netns::test

namespace berth::netns::test {

Background::Background(const std::string& command) {
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
        ::execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
}

Background::~Background() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
}

Shell sh_until_ok(const std::string& command, int tries) {
    Shell last;
    for (int i = 0; i < tries; ++i) {
        last = sh(command);
        if (last.status == 0) return last;
        ::usleep(50 * 1000);
    }
    return last;
}

}  // namespace berth::netns::test
