#include "attach_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "berth/error.h"
#include "berth/fd_passing.h"

namespace berth::engine {
namespace {

// A socket address for `path`. Run dirs under a long --runroot exceed sun_path's 108 bytes,
// so a long path is reached through an open fd of its directory (/proc/self/fd/N/NAME), kept
// open in `dir` for as long as the bind or connect needs it.
sockaddr_un address_of(const std::string& path, UniqueFd& dir) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string usable = path;
    if (usable.size() >= sizeof addr.sun_path) {
        size_t slash = path.rfind('/');
        dir = UniqueFd(::open(path.substr(0, slash).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!dir) throw_errno("open " + path.substr(0, slash));
        usable = "/proc/self/fd/" + std::to_string(dir.get()) + path.substr(slash);
    }
    if (usable.size() >= sizeof addr.sun_path) throw Error("attach socket path too long: " + path);
    std::memcpy(addr.sun_path, usable.c_str(), usable.size() + 1);
    return addr;
}

void set_timeout(int fd, int seconds) {
    timeval tv{seconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace

std::string attach_socket_path(const std::string& run_dir) {
    return run_dir + "/attach.sock";
}

UniqueFd listen_attach_socket(const std::string& path) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) throw_errno("attach socket");
    ::unlink(path.c_str());
    UniqueFd dir;
    sockaddr_un addr = address_of(path, dir);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw_errno("bind " + path);
    ::chmod(path.c_str(), 0600);
    if (::listen(fd.get(), 4) != 0) throw_errno("listen " + path);
    return fd;
}

AttachRequestFds accept_attach_client(int listener) {
    AttachRequestFds out;
    UniqueFd conn(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) return out;
    set_timeout(conn.get(), 1);
    ReceivedFds got;
    try {
        got = receive_fds(conn.get(), 3, "receive an attach request");
    } catch (const Error&) {
        return out;  // a client that went away or sent nothing in time
    }
    unsigned rows = 0, cols = 0, stdin_wanted = 0;
    if (got.fds.size() != 3 ||
        std::sscanf(got.payload.c_str(), "attach %u %u %u", &rows, &cols, &stdin_wanted) != 3)
        return out;
    out.connection = std::move(conn);
    if (stdin_wanted) out.in = std::move(got.fds[0]);
    out.out = std::move(got.fds[1]);
    out.err = std::move(got.fds[2]);
    out.rows = rows;
    out.cols = cols;
    return out;
}

UniqueFd request_attach(const std::string& path, int in, int out, int err, unsigned rows,
                        unsigned cols) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw_errno("attach socket");
    UniqueFd dir;
    sockaddr_un addr = address_of(path, dir);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw Error("cannot attach: the container's monitor does not answer (" +
                    std::string(std::strerror(errno)) + ")");
    UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    int fds[3] = {in >= 0 ? in : null.get(), out, err};
    char payload[64];
    int len = std::snprintf(payload, sizeof payload, "attach %u %u %d\n", rows, cols, in >= 0);
    send_fds(fd.get(), fds, std::string_view(payload, static_cast<size_t>(len)),
             "send the attach request");
    std::string line;
    char ch;
    set_timeout(fd.get(), 5);
    for (;;) {
        ssize_t n = ::recv(fd.get(), &ch, 1, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw Error("cannot attach: the monitor closed the connection");
        if (ch == '\n') break;
        line += ch;
    }
    set_timeout(fd.get(), 0);
    if (line == "attached") return fd;
    if (line.rfind("error ", 0) == 0) throw Error("cannot attach: " + line.substr(6));
    throw Error("cannot attach: unexpected reply \"" + line + "\"");
}

}  // namespace berth::engine
