#include "start_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "berth/error.h"

namespace berth::runtime {
namespace {

// sun_path holds 108 bytes; state roots from callers can be longer. Going through the
// directory's fd in /proc/self/fd keeps the address short whatever the root is.
struct ShortAddress {
    UniqueFd dir;
    sockaddr_un addr{};
};

ShortAddress short_address(const std::string& state_dir) {
    ShortAddress a;
    a.dir.reset(::open(state_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!a.dir) throw_errno("open state directory " + state_dir);
    a.addr.sun_family = AF_UNIX;
    std::snprintf(a.addr.sun_path, sizeof a.addr.sun_path, "/proc/self/fd/%d/start.sock",
                  a.dir.get());
    return a;
}

}  // namespace

UniqueFd listen_start_socket(const std::string& state_dir) {
    ShortAddress a = short_address(state_dir);
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) throw_errno("socket for start");
    if (::bind(sock.get(), reinterpret_cast<sockaddr*>(&a.addr), sizeof a.addr) != 0)
        throw_errno("bind start socket in " + state_dir);
    if (::listen(sock.get(), 1) != 0) throw_errno("listen on start socket");
    return sock;
}

UniqueFd connect_start_socket(const std::string& state_dir) {
    ShortAddress a = short_address(state_dir);
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) throw_errno("socket for start");
    if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&a.addr), sizeof a.addr) != 0)
        throw_errno("connect to the container's start socket");
    return sock;
}

}  // namespace berth::runtime
