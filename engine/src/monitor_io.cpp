#include "monitor_io.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "berth/error.h"

namespace berth::engine {
namespace {

UniqueFd open_null() {
    UniqueFd fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!fd) throw_errno("open /dev/null");
    return fd;
}

Pipe make_pipe() {
    return Pipe::create();
}

}  // namespace

bool write_fully(int fd, const char* data, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = ::write(fd, data + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            pollfd p{fd, POLLOUT, 0};
            ::poll(&p, 1, 1000);
            continue;
        }
        if (n <= 0) return false;
        done += static_cast<size_t>(n);
    }
    return true;
}

void set_nonblocking(int fd) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

ContainerStdio::~ContainerStdio() {
    if (!console_path.empty()) ::unlink(console_path.c_str());
    if (!console_temp_dir.empty()) ::rmdir(console_temp_dir.c_str());
}

ContainerStdio ContainerStdio::prepare(bool tty, bool open_stdin, const std::string& console_path) {
    ContainerStdio s;
    if (tty) {
        s.console_path = console_path;
        if (console_path.size() >= sizeof(sockaddr_un::sun_path)) {
            // A long --runroot: unix socket paths end at 108 bytes.
            char dir[] = "/tmp/berth-console-XXXXXX";
            if (!::mkdtemp(dir)) throw_errno("mkdtemp for the console socket");
            s.console_temp_dir = dir;
            s.console_path = s.console_temp_dir + "/console.sock";
        }
        ::unlink(s.console_path.c_str());
        s.console_listener.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!s.console_listener) throw_errno("console socket");
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strcpy(addr.sun_path, s.console_path.c_str());
        if (::bind(s.console_listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            throw_errno("bind console socket " + s.console_path);
        if (::listen(s.console_listener.get(), 1) != 0) throw_errno("listen on console socket");
        s.in_read = open_null();
        s.out_write = open_null();
        s.err_write = open_null();
        return s;
    }
    Pipe out = make_pipe(), err = make_pipe();
    s.out_read = std::move(out.read_end);
    s.out_write = std::move(out.write_end);
    s.err_read = std::move(err.read_end);
    s.err_write = std::move(err.write_end);
    if (open_stdin) {
        Pipe in = make_pipe();
        s.in_read = std::move(in.read_end);
        s.in_write = std::move(in.write_end);
    } else {
        s.in_read = open_null();
    }
    return s;
}

void ContainerStdio::install_for_create() {
    // dup2 clears close-on-exec on the targets: exactly fds 0-2 reach the container.
    if (::dup2(in_read.get(), 0) < 0 || ::dup2(out_write.get(), 1) < 0 ||
        ::dup2(err_write.get(), 2) < 0)
        throw_errno("dup2 container stdio");
}

void ContainerStdio::restore_after_create() {
    UniqueFd null = open_null();
    for (int fd = 0; fd < 3; ++fd) ::dup2(null.get(), fd);
    in_read.reset();
    out_write.reset();
    err_write.reset();
    if (out_read) set_nonblocking(out_read.get());
    if (err_read) set_nonblocking(err_read.get());
}

void ContainerStdio::receive_master() {
    UniqueFd conn(::accept4(console_listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) throw_errno("accept on console socket");
    char data[256];
    iovec iov{data, sizeof data};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do n = ::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0) throw_errno("receive the pty master");
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    if (!cmsg || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
        throw Error("console socket: no pty master received");
    int fd;
    std::memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
    master.reset(fd);
    set_nonblocking(master.get());
    console_listener.reset();
    ::unlink(console_path.c_str());
}

}  // namespace berth::engine
