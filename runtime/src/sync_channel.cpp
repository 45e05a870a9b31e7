#include "sync_channel.h"

#include <sys/socket.h>

#include <cerrno>
#include <vector>

#include "berth/error.h"

namespace berth::runtime {

SyncPair SyncPair::create() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
        throw_errno("socketpair for container init");
    return SyncPair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void send_message(int fd, const std::string& message) {
    while (::send(fd, message.data(), message.size(), MSG_NOSIGNAL) < 0)
        if (errno != EINTR) throw_errno("send to container init");
}

std::string receive_message(int fd) {
    std::vector<char> buf(1 << 16);
    ssize_t n;
    do n = ::recv(fd, buf.data(), buf.size(), 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) throw_errno("receive from container init");
    return std::string(buf.data(), static_cast<size_t>(n));
}

}  // namespace berth::runtime
