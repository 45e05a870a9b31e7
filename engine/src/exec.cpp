#include "berth/engine/exec.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "berth/engine/engine.h"
#include "berth/runtime/runtime.h"
#include "monitor_io.h"
#include "user_lookup.h"

namespace berth::engine {
namespace {

// -t: the pty master comes over a console socket while Runtime::exec waits for the process;
// a thread copies between this terminal and the master meanwhile.
class PtyProxy {
  public:
    PtyProxy(ContainerStdio& stdio, bool interactive) : stdio_(stdio), interactive_(interactive) {
        // The thread must not take signals meant for the runtime's signalfd (SIGCHLD of the
        // exec'd process above all): it starts with every signal blocked.
        sigset_t all, saved;
        sigfillset(&all);
        ::pthread_sigmask(SIG_BLOCK, &all, &saved);
        thread_ = std::thread([this] { run(); });
        ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
    }
    ~PtyProxy() {
        done_ = true;
        if (thread_.joinable()) thread_.join();
    }

  private:
    void run() {
        try {
            stdio_.receive_master();
        } catch (const std::exception&) {
            return;
        }
        int master = stdio_.master.get();
        winsize ws{};
        if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
        char buf[16384];
        bool in_open = interactive_;
        for (;;) {
            pollfd p[2] = {{master, POLLIN, 0}, {in_open ? STDIN_FILENO : -1, POLLIN, 0}};
            ::poll(p, 2, 100);
            if (p[0].revents) {
                ssize_t n = ::read(master, buf, sizeof buf);
                if (n <= 0 && errno != EAGAIN) return;  // EIO: the process's side closed
                if (n > 0) write_fully(STDOUT_FILENO, buf, static_cast<size_t>(n));
            } else if (done_) {
                return;
            }
            if (p[1].revents) {
                ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
                if (n <= 0)
                    in_open = false;
                else
                    write_fully(master, buf, static_cast<size_t>(n));
            }
        }
    }
    ContainerStdio& stdio_;
    bool interactive_;
    std::atomic<bool> done_{false};
    std::thread thread_;
};

}  // namespace

int exec_in_container(Engine& engine, const std::string& id, const ExecRequest& req) {
    ContainerStore& store = engine.containers();
    RunState st = engine.state(id);
    ContainerRecord record = store.load(id);
    if (st.status != "running") throw Error("container " + record.name + " is not running");
    runtime::ExecOptions options;
    options.args = req.args;
    options.env = req.env;
    options.cwd = req.workdir;
    options.detach = req.detach;
    if (!req.user.empty()) {
        UniqueFd root(::open(store.rootfs_dir(id).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root) throw_errno("open rootfs of " + record.name);
        ResolvedUser u = resolve_user(root.get(), req.user);
        options.uid = u.uid;
        options.gid = u.gid;
        options.additional_gids = u.additional_gids;  // the groups /etc/group gives the user
    }
    if (!req.interactive && !req.tty) {
        UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        ::dup2(null.get(), STDIN_FILENO);
    }
    runtime::Runtime rt(store.runtime_root());
    if (!req.tty) return rt.exec(id, options);

    ::mkdir(store.run_dir(id).c_str(), 0700);
    std::string socket = store.run_dir(id) + "/exec-" + std::to_string(::getpid()) + ".sock";
    ContainerStdio stdio = ContainerStdio::prepare(true, false, socket);
    options.tty = true;
    options.console_socket = stdio.console_path;
    // The program must start with the client's size, not 0x0 until the proxy sets it.
    winsize ws{};
    if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
        if (ws.ws_row && ws.ws_col)
            options.console_size = runtime::ConsoleSize{ws.ws_row, ws.ws_col};
    // Raw with -i (the pty in the container does the line discipline); without, only output
    // post-processing off so "\r\n" does not gain a second "\r".
    termios saved{};
    int term_fd = req.interactive && ::isatty(STDIN_FILENO) ? STDIN_FILENO
                  : ::isatty(STDOUT_FILENO)                 ? STDOUT_FILENO
                                                            : -1;
    bool raw = term_fd >= 0 && ::tcgetattr(term_fd, &saved) == 0;
    if (raw) {
        termios t = saved;
        if (term_fd == STDIN_FILENO)
            ::cfmakeraw(&t);
        else
            t.c_oflag &= ~static_cast<tcflag_t>(OPOST);
        ::tcsetattr(term_fd, TCSANOW, &t);
    }
    int code;
    try {
        PtyProxy proxy(stdio, req.interactive);
        code = rt.exec(id, options);
    } catch (...) {
        if (raw) ::tcsetattr(term_fd, TCSANOW, &saved);
        throw;
    }
    if (raw) ::tcsetattr(term_fd, TCSANOW, &saved);
    return code;
}

}  // namespace berth::engine
