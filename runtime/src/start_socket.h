// The rendezvous between `create` and `start`: the waiting init listens on <state>/start.sock.
// `start` connects, removes the socket (so the container counts as running from then on) and
// reads back either nothing (the program was executed) or the error that prevented it.
#pragma once

#include <string>

#include "berth/fd.h"

namespace berth::runtime {

UniqueFd listen_start_socket(const std::string& state_dir);
UniqueFd connect_start_socket(const std::string& state_dir);

}  // namespace berth::runtime
