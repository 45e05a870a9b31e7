#include "berth/fd_passing.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "berth/error.h"

namespace berth {

void send_fds(int socket, std::span<const int> fds, std::string_view payload,
              const std::string& what) {
    if (fds.size() > kMaxPassedFds) throw Error(what + ": too many fds to pass");
    std::string data(payload.empty() ? std::string_view("\0", 1) : payload);
    iovec iov{data.data(), data.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(kMaxPassedFds * sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (!fds.empty()) {
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(fds.size() * sizeof(int));
        cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
        std::memcpy(CMSG_DATA(cmsg), fds.data(), fds.size() * sizeof(int));
    }
    if (::sendmsg(socket, &msg, MSG_NOSIGNAL) < 0) throw_errno(what);
}

ReceivedFds receive_fds(int socket, size_t max_fds, const std::string& what) {
    char data[256];
    iovec iov{data, sizeof data};
    alignas(cmsghdr) char control[CMSG_SPACE(kMaxPassedFds * sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) throw_errno(what);
    if (n == 0) throw Error(what + ": the peer closed the connection");
    ReceivedFds out;
    out.payload.assign(data, static_cast<size_t>(n));
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            UniqueFd owned(fd);  // closed at once when it is one too many
            if (out.fds.size() < max_fds) out.fds.push_back(std::move(owned));
        }
    }
    return out;
}

}  // namespace berth
