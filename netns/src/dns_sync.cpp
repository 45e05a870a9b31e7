#include "dns_sync.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <thread>

#include "berth/error.h"
#include "berth/file_io.h"
#include "berth/netns/dns_records.h"

namespace berth::netns::detail {
namespace {

// The daemon's pid when its pid file names a live berth-dns, else 0.
pid_t running_daemon(const NetworksConfig& config) {
    std::string text;
    try {
        text = read_file(config.dns_pid_file);
    } catch (const Error&) {
        return 0;
    }
    pid_t pid = 0;
    try {
        pid = static_cast<pid_t>(std::stol(text));
    } catch (const std::exception&) {
        return 0;
    }
    if (pid <= 0) return 0;
    try {
        std::string comm = read_file("/proc/" + std::to_string(pid) + "/comm");
        if (!comm.starts_with("berth-dns")) return 0;
    } catch (const Error&) {
        return 0;
    }
    return pid;
}

// Gone or a zombie (the daemon is reparented to an init that may reap it late; kill(pid, 0)
// still succeeds on a zombie).
bool process_gone(pid_t pid) {
    std::string stat;
    try {
        stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    } catch (const Error&) {
        return true;
    }
    auto close = stat.rfind(')');
    return close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] == 'Z' ||
           stat[close + 2] == 'X';
}

template <typename Done>
bool wait_for(Done done, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

void start_daemon(const NetworksConfig& config) {
    std::string log = std::filesystem::path(config.dns_pid_file).replace_extension(".log");
    std::string port = std::to_string(config.dns_port);
    std::vector<std::string> args = {config.dns_daemon,  "--config-dir", config.dns_dir,
                                     "--port",           port,           "--pid-file",
                                     config.dns_pid_file};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_t child = ::fork();
    if (child < 0) throw_errno("fork for berth-dns");
    if (child == 0) {
        // Double fork: the daemon is reparented to init and never becomes our zombie.
        ::setsid();
        if (::fork() != 0) ::_exit(0);
        int null = ::open("/dev/null", O_RDONLY);
        int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (null >= 0) ::dup2(null, 0);
        if (out >= 0) {
            ::dup2(out, 1);
            ::dup2(out, 2);
        }
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    // The pid file appears once every listener is bound: then queries are answered.
    if (!wait_for([&] { return running_daemon(config) != 0; }, std::chrono::seconds(5)))
        throw Error("berth-dns did not start (see " + log + ")");
}

}  // namespace

void write_dns_records(const NetworksConfig& config, const Network& network) {
    DnsNetworkFile file;
    file.listen = {network.gateway.str()};
    file.upstreams = config.dns_upstreams;
    for (const auto& [id, ep] : network.endpoints)
        file.records.push_back(DnsRecord{ep.container_name, ep.aliases, ep.ip.str(), id, ep.dns});
    std::error_code ec;
    std::filesystem::create_directories(config.dns_dir, ec);
    if (ec) throw Error("create " + config.dns_dir + ": " + ec.message(), ec.value());
    write_dns_network_file(config.dns_dir, network.name, file);
}

void remove_dns_records(const NetworksConfig& config, const std::string& network_name) {
    remove_dns_network_file(config.dns_dir, network_name);
}

void ensure_dns_daemon(const NetworksConfig& config, bool needed) {
    pid_t pid = running_daemon(config);
    if (needed && pid == 0) start_daemon(config);
    if (!needed && pid != 0) {
        ::kill(pid, SIGTERM);
        wait_for([&] { return process_gone(pid); }, std::chrono::seconds(5));
    }
}

}  // namespace berth::netns::detail
