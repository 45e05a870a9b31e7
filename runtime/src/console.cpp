#include "console.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "berth/error.h"
#include "kernel_mount.h"

namespace berth::runtime {
namespace {

void send_fd(int socket, int fd, const std::string& name) {
    char data[256];
    size_t len = std::min(name.size(), sizeof data);
    std::memcpy(data, name.data(), len);
    iovec iov{data, len ? len : 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
    if (::sendmsg(socket, &msg, MSG_NOSIGNAL) < 0) throw_errno("send pty master to console socket");
}

// /dev/console becomes the pty slave, verified to be a pts device (CVE-2025-52565).
void bind_console(int slave_fd) {
    struct stat st;
    if (::fstat(slave_fd, &st) != 0) throw_errno("stat pty slave");
    if (!S_ISCHR(st.st_mode) || major(st.st_rdev) < 136 || major(st.st_rdev) > 143)
        throw Error("process.terminal: pty slave is not a /dev/pts device");
    UniqueFd console(::open("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!console) {
        UniqueFd created(
            ::open("/dev/console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!created) throw_errno("create /dev/console");
        console.reset(::open("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC));
    }
    UniqueFd tree = clone_tree(slave_fd, false);
    attach_mount(tree.get(), console.get(), "/dev/console");
}

}  // namespace

UniqueFd connect_console_socket(const std::string& path) {
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) throw_errno("socket for --console-socket");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) throw Error("--console-socket path too long: " + path);
    std::strcpy(addr.sun_path, path.c_str());
    if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw_errno("connect to --console-socket " + path);
    return sock;
}

UniqueFd receive_fd(int socket) {
    char data[256];
    iovec iov{data, sizeof data};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC) < 0) throw_errno("receive pty master");
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS) throw Error("console socket: no fd received");
    int fd;
    std::memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
    return UniqueFd(fd);
}

void setup_console(int console_socket, bool bind_dev_console,
                   const std::optional<ConsoleSize>& size) {
    UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master) throw_errno("process.terminal: open /dev/ptmx");
    if (::unlockpt(master.get()) != 0) throw_errno("process.terminal: unlockpt");
    // TIOCGPTPEER opens the slave from the master itself: no path lookup to race.
    UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave) throw_errno("process.terminal: open pty slave");
    if (size && size->height && size->width) {
        winsize ws{};
        ws.ws_row = static_cast<unsigned short>(size->height);
        ws.ws_col = static_cast<unsigned short>(size->width);
        if (::ioctl(master.get(), TIOCSWINSZ, &ws) != 0)
            throw_errno("process.consoleSize: set the pty size");
    }
    if (bind_dev_console) bind_console(slave.get());
    char name[64] = "";
    ::ptsname_r(master.get(), name, sizeof name);
    send_fd(console_socket, master.get(), name);
    if (::setsid() < 0) throw_errno("setsid");
    if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0) throw_errno("set controlling terminal");
    for (int target = 0; target <= 2; ++target)
        if (::dup2(slave.get(), target) < 0) throw_errno("dup pty slave to stdio");
}

}  // namespace berth::runtime
