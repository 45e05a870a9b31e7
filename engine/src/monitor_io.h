// The monitor's side of a container's stdio: pipes (stdout, stderr, optionally stdin) or a
// pty whose master arrives over the runtime's console socket.
#pragma once

#include <string>

#include "berth/fd.h"

namespace berth::engine {

struct ContainerStdio {
    // The monitor's ends.
    UniqueFd out_read, err_read, in_write, master;
    // The container's ends: fds 0-2 of the runtime while it creates the init.
    UniqueFd in_read, out_write, err_write;
    UniqueFd console_listener;
    std::string console_path;
    std::string console_temp_dir;  // when console_path had to move to a short /tmp path
    ~ContainerStdio();
    ContainerStdio() = default;
    ContainerStdio(ContainerStdio&&) = default;
    ContainerStdio& operator=(ContainerStdio&&) = default;

    // tty: a console socket at `console_path` (the runtime connects to it during create);
    // else pipes, stdin a pipe only with open_stdin (/dev/null otherwise).
    static ContainerStdio prepare(bool tty, bool open_stdin, const std::string& console_path);
    // Puts the container's ends on fds 0-2 for the duration of create, then restores
    // /dev/null there and closes them in the monitor.
    void install_for_create();
    void restore_after_create();
    // tty: accepts the runtime's connection and receives the pty master.
    void receive_master();
};

// Writes everything (EINTR-safe); false when the reader is gone.
bool write_fully(int fd, const char* data, size_t size);
void set_nonblocking(int fd);

}  // namespace berth::engine
