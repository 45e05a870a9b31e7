// Messages between the runtime and the container init it cloned, over a SOCK_SEQPACKET pair:
// one datagram per message, EOF when the other side dies.
#pragma once

#include <string>

#include "berth/fd.h"

namespace berth::runtime {

struct SyncPair {
    UniqueFd runtime_end;
    UniqueFd init_end;
    static SyncPair create();
};

void send_message(int fd, const std::string& message);
// Empty string on EOF.
std::string receive_message(int fd);

// Message kinds: "MOUNTED", "HOOKS <state json>", "CREATED", "GO", "DETACHED", "ERROR <text>".
inline bool has_kind(const std::string& message, const char* kind) {
    return message.rfind(kind, 0) == 0;
}

}  // namespace berth::runtime
