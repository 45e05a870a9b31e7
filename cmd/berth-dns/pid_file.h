// The daemon's pid file: refused while another berth-dns named in it is alive, written
// atomically once the server is ready, removed on exit.
#pragma once

#include <string>

namespace berth::dns_daemon {

// Throws berth::Error when the file names a live berth-dns process.
void refuse_if_running(const std::string& pid_file);
void write_pid_file(const std::string& pid_file);
void remove_pid_file(const std::string& pid_file);

}  // namespace berth::dns_daemon
