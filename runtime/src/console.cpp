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
#include "berth/fd_passing.h"
#include "kernel_mount.h"

namespace berth::runtime {
namespace {

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
    ReceivedFds got = receive_fds(socket, 1, "receive pty master");
    if (got.fds.empty()) throw Error("console socket: no fd received");
    return std::move(got.fds[0]);
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
    // The payload is the pty's name, as runc sends it.
    const int master_fd = master.get();
    send_fds(console_socket, {&master_fd, 1}, name, "send pty master to console socket");
    if (::setsid() < 0) throw_errno("setsid");
    if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0) throw_errno("set controlling terminal");
    for (int target = 0; target <= 2; ++target)
        if (::dup2(slave.get(), target) < 0) throw_errno("dup pty slave to stdio");
}

}  // namespace berth::runtime
