// `berth attach`: the running container's monitor listens on <run dir>/attach.sock; a client
// connects, sends its stdin/stdout/stderr with SCM_RIGHTS and "attach ROWS COLS STDIN\n",
// and from then on is the monitor's client exactly like `berth run`'s foreground client
// (output copied to it, its stdin to the container, signals and window sizes over the same
// connection, "exit CODE\n" when the container is done). One client at a time.
#pragma once

#include <string>

#include "berth/fd.h"

namespace berth::engine {

std::string attach_socket_path(const std::string& run_dir);

// The monitor's listening socket (non-blocking), replacing a stale one.
UniqueFd listen_attach_socket(const std::string& path);

struct AttachRequestFds {
    UniqueFd connection, in, out, err;
    unsigned rows = 0, cols = 0;
};
// Accepts one client and reads its request (1 s at most); empty connection when it failed.
AttachRequestFds accept_attach_client(int listener);

// The client's side: connects, sends the fds (in = -1: no stdin) and the size; returns the
// connection once the monitor answered "attached", or throws its error.
UniqueFd request_attach(const std::string& path, int in, int out, int err, unsigned rows,
                        unsigned cols);

}  // namespace berth::engine
