#include "dns_test_support.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

#include "berth/file_io.h"
#include "support/subprocess.h"

namespace berth::test {

namespace dns = netns::dns;

namespace {

sockaddr_in loopback(std::uint16_t port, const std::string& address = "127.0.0.1") {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
    return sa;
}

// Binds a client socket to `source` (any port) so the server sees that address; "" = any.
bool bind_source(int fd, const std::string& source) {
    if (source.empty()) return true;
    sockaddr_in from = loopback(0, source);
    return ::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0;
}

bool wait_readable(int fd, std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(left.count())) == 1;
}

}  // namespace

std::uint16_t free_port() {
    for (int attempt = 0; attempt < 50; ++attempt) {
        UniqueFd udp(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        sockaddr_in sa = loopback(0);
        socklen_t len = sizeof sa;
        if (::bind(udp.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) continue;
        ::getsockname(udp.get(), reinterpret_cast<sockaddr*>(&sa), &len);
        UniqueFd tcp(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (::bind(tcp.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0)
            return ntohs(sa.sin_port);
    }
    throw std::runtime_error("no free port on 127.0.0.1");
}

std::string make_temp_dir(const std::string& prefix) {
    std::string pattern = "/tmp/" + prefix + "-XXXXXX";
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    return pattern;
}

void remove_tree(const std::string& path) {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
}

Bytes build_query(const std::string& name, std::uint16_t type, std::uint16_t id, bool edns,
                  std::uint16_t edns_size) {
    dns::MessageBuilder builder;
    builder.set_header(id, dns::kFlagRd);
    EXPECT_TRUE(builder.add_question(name, type));
    if (edns) builder.add_opt(edns_size);
    return builder.bytes();
}

std::optional<Bytes> udp_exchange(std::uint16_t port, const Bytes& packet,
                                  std::chrono::milliseconds timeout, const std::string& address,
                                  const std::string& source) {
    UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!bind_source(fd.get(), source)) return std::nullopt;
    sockaddr_in to = loopback(port, address);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) return std::nullopt;
    if (::send(fd.get(), packet.data(), packet.size(), 0) < 0) return std::nullopt;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    Bytes reply(65536);
    while (wait_readable(fd.get(), deadline)) {
        ssize_t n = ::recv(fd.get(), reply.data(), reply.size(), 0);
        if (n < 0) return std::nullopt;  // ECONNREFUSED: nobody listens
        // Only the reply to this query counts (same id).
        if (n >= 2 && packet.size() >= 2 && reply[0] == packet[0] && reply[1] == packet[1]) {
            reply.resize(static_cast<std::size_t>(n));
            return reply;
        }
    }
    return std::nullopt;
}

std::vector<Bytes> tcp_exchange(std::uint16_t port, const std::vector<Bytes>& packets,
                                std::chrono::milliseconds timeout, const std::string& address,
                                const std::string& source) {
    std::vector<Bytes> replies;
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!bind_source(fd.get(), source)) return replies;
    sockaddr_in to = loopback(port, address);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) return replies;
    Bytes out;
    for (const Bytes& p : packets) {
        out.push_back(static_cast<std::uint8_t>(p.size() >> 8));
        out.push_back(static_cast<std::uint8_t>(p.size()));
        out.insert(out.end(), p.begin(), p.end());
    }
    if (::send(fd.get(), out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size()))
        return replies;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    Bytes in;
    std::uint8_t buffer[65536];
    while (replies.size() < packets.size() && wait_readable(fd.get(), deadline)) {
        ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
        if (n <= 0) break;
        in.insert(in.end(), buffer, buffer + n);
        while (in.size() >= 2 && in.size() >= 2u + ((in[0] << 8) | in[1])) {
            std::size_t length = (in[0] << 8) | in[1];
            replies.emplace_back(in.begin() + 2, in.begin() + 2 + static_cast<long>(length));
            in.erase(in.begin(), in.begin() + 2 + static_cast<long>(length));
        }
    }
    return replies;
}

dns::Message parse_reply(const Bytes& reply) {
    dns::Message message;
    std::string error;
    EXPECT_TRUE(dns::parse_message(reply, message, &error)) << error;
    return message;
}

std::vector<std::string> a_addresses(const dns::Message& message) {
    std::vector<std::string> out;
    for (const auto& rr : message.answers) {
        if (rr.type != dns::kTypeA || rr.rdata.size() != 4) continue;
        char text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, rr.rdata.data(), text, sizeof text);
        out.push_back(text);
    }
    return out;
}

BerthDns::BerthDns(std::vector<std::string> upstreams, std::chrono::milliseconds timeout,
                   unsigned threads) {
    dir = make_temp_dir("berth-dns-test");
    config_dir = dir + "/records";
    resolv_conf = dir + "/resolv.conf";
    pid_file = dir + "/berth-dns.pid";
    std::string resolv = "# the test's own upstreams, all on loopback\n";
    for (const auto& u : upstreams) resolv += "nameserver " + u + "\n";
    write_file_atomic(resolv_conf, resolv, 0644);
    port = free_port();
    // BERTH_DNS_UNDER_TEST: the same tests against another build (the ASan one, see CMake).
    const char* binary = std::getenv("BERTH_DNS_UNDER_TEST");
    pid = spawn({binary ? binary : BERTH_DNS_BINARY, "--config-dir", config_dir, "--port",
                 std::to_string(port), "--pid-file", pid_file, "--resolv-conf", resolv_conf,
                 "--upstream-timeout-ms", std::to_string(timeout.count()), "--threads",
                 std::to_string(threads)},
                dir + "/log");
    // Ready = the pid file exists (written after every listener is bound).
    for (int i = 0; i < 1500 && !path_exists(pid_file); ++i) {  // 15 s on a loaded host
        if (!alive()) break;
        std::this_thread::sleep_for(10ms);
    }
    if (!path_exists(pid_file)) ADD_FAILURE() << "berth-dns did not get ready:\n" << log();
}

BerthDns::~BerthDns() {
    if (pid > 0) {
        ::kill(pid, SIGTERM);
        int code = wait_exit(pid, 10);
        EXPECT_EQ(code, 0) << "berth-dns exit status; log:\n" << log();
        EXPECT_FALSE(path_exists(pid_file)) << "pid file left behind";
    } else if (exit_status >= 0) {
        ADD_FAILURE() << "berth-dns exited early with " << exit_status << "; log:\n" << log();
    }
    remove_tree(dir);
}

void BerthDns::write_network(const std::string& network, const netns::DnsNetworkFile& file) {
    netns::write_dns_network_file(config_dir, network, file);
}

void BerthDns::remove_network(const std::string& network) {
    netns::remove_dns_network_file(config_dir, network);
}

bool BerthDns::wait_for(const std::string& name, const std::string& ipv4) {
    static std::uint16_t id = 1000;
    for (int i = 0; i < 500; ++i) {
        auto reply = udp_exchange(port, build_query(name, dns::kTypeA, ++id), 200ms);
        if (reply) {
            dns::Message m;
            if (dns::parse_message(*reply, m)) {
                auto addresses = a_addresses(m);
                if (ipv4.empty() && m.rcode() == dns::kNxDomain) return true;
                if (!ipv4.empty() &&
                    std::find(addresses.begin(), addresses.end(), ipv4) != addresses.end())
                    return true;
            }
        }
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

bool BerthDns::alive() {
    if (pid <= 0) return false;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == 0) return true;
    exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid = -1;
    return false;
}

std::string BerthDns::log() const {
    try {
        return read_file(dir + "/log");
    } catch (...) {
        return "(no log)";
    }
}

std::string random_loopback_address() {
    std::random_device entropy;
    return "127.53." + std::to_string(entropy() % 250 + 1) + "." +
           std::to_string(entropy() % 250 + 1);
}

Dnsmasq::Dnsmasq(const std::string& on_address, std::vector<std::string> extra) {
    if (on_address.empty()) {
        port = free_port();
    } else {
        address = on_address;
        port = 53;
    }
    std::vector<std::string> argv = {"/usr/sbin/dnsmasq",
                                     "--keep-in-foreground",
                                     "--conf-file=/dev/null",
                                     "--no-resolv",
                                     "--no-hosts",
                                     "--listen-address=" + address,
                                     "--bind-interfaces",
                                     "--port=" + std::to_string(port),
                                     "--address=/up.test/127.0.0.9",
                                     "--pid-file="};
    argv.insert(argv.end(), extra.begin(), extra.end());
    pid = spawn(argv, "/dev/null");
    for (int i = 0; i < 1000; ++i) {
        auto reply = udp_exchange(port, build_query("up.test", dns::kTypeA, 7), 100ms, address);
        if (reply) return;
        std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "dnsmasq did not answer on " << address << ":" << port;
}

Dnsmasq::~Dnsmasq() {
    if (pid > 0) {
        ::kill(pid, SIGTERM);
        wait_exit(pid, 10);
    }
}

SilentUpstream::SilentUpstream() {
    fd_.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    sockaddr_in sa = loopback(0);
    socklen_t len = sizeof sa;
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
        throw std::runtime_error("bind silent upstream");
    ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&sa), &len);
    port = ntohs(sa.sin_port);
}

const std::vector<std::pair<std::uint16_t, std::uint16_t>>& SilentUpstream::sources() {
    std::uint8_t buffer[4096];
    for (;;) {
        sockaddr_in from{};
        socklen_t len = sizeof from;
        ssize_t n = ::recvfrom(fd_.get(), buffer, sizeof buffer, 0,
                               reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) break;
        std::uint16_t id = n >= 2 ? static_cast<std::uint16_t>((buffer[0] << 8) | buffer[1]) : 0;
        sources_.emplace_back(ntohs(from.sin_port), id);
    }
    return sources_;
}

std::size_t SilentUpstream::received() {
    return sources().size();
}

}  // namespace berth::test
