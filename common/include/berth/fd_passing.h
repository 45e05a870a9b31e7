// Passing open fds over a unix socket (SCM_RIGHTS) with a short payload: the pty master to a
// console socket, an attaching client's stdio to its container's monitor.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "berth/fd.h"

namespace berth {

inline constexpr size_t kMaxPassedFds = 8;

// One message carrying `fds` (at most kMaxPassedFds) and `payload` (at least one byte is
// sent). Throws berth::Error naming `what`.
void send_fds(int socket, std::span<const int> fds, std::string_view payload,
              const std::string& what);

struct ReceivedFds {
    std::vector<UniqueFd> fds;  // close-on-exec
    std::string payload;
};
// One message (blocking, or as the socket's timeout says); fds beyond `max_fds` are closed.
// Throws berth::Error naming `what` when nothing could be read.
ReceivedFds receive_fds(int socket, size_t max_fds, const std::string& what);

}  // namespace berth
