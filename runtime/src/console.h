// process.terminal: a pty allocated from the container's own devpts, its slave as the
// controlling terminal and /dev/console, its master sent over the console socket (SCM_RIGHTS).
#pragma once

#include <optional>
#include <string>

#include "berth/fd.h"
#include "berth/runtime/spec.h"

namespace berth::runtime {

// Called inside the container after pivot_root. Sends the master over console_socket and makes
// the slave fds 0, 1, 2 and the controlling terminal.
void setup_console(int console_socket, bool bind_dev_console = true,
                   const std::optional<ConsoleSize>& size = std::nullopt);

// Connects to the unix socket a caller (podman, conmon) listens on for the pty master.
UniqueFd connect_console_socket(const std::string& path);
// Receives one fd sent with SCM_RIGHTS.
UniqueFd receive_fd(int socket);

}  // namespace berth::runtime
