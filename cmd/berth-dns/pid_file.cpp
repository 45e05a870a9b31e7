#include "pid_file.h"

#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "berth/error.h"
#include "berth/file_io.h"

namespace berth::dns_daemon {

void refuse_if_running(const std::string& pid_file) {
    std::string text;
    try {
        text = read_file(pid_file);
    } catch (const Error&) {
        return;  // no pid file: nobody to collide with
    }
    long pid = std::strtol(text.c_str(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid()) return;
    std::string comm;
    try {
        comm = read_file("/proc/" + std::to_string(pid) + "/comm");
    } catch (const Error&) {
        return;  // stale: that process is gone
    }
    if (comm.starts_with("berth-dns"))  // also its -asan test build
        throw Error("berth-dns is already running as pid " + std::to_string(pid) + " (" + pid_file +
                    ")");
}

void write_pid_file(const std::string& pid_file) {
    auto parent = std::filesystem::path(pid_file).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    write_file_atomic(pid_file, std::to_string(::getpid()) + "\n", 0644);
}

void remove_pid_file(const std::string& pid_file) {
    ::unlink(pid_file.c_str());
}

}  // namespace berth::dns_daemon
