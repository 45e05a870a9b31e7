// Engine: start (spawning the monitor), stop, kill, rm and wait.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "berth/engine/engine.h"

#include "attach_socket.h"
#include "berth/images/store.h"
#include "berth/runtime/runtime.h"
#include "mounts.h"
#include "network_setup.h"
#include "rootfs.h"

namespace berth::engine {
namespace {

bool is_active(const std::string& status) {
    return status == "running" || status == "restarting";
}

// Waits for a process (pid + start time) to exit; false on timeout.
bool wait_process_exit(pid_t pid, uint64_t start_time, int timeout_ms) {
    UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!fd || !process_alive(pid, start_time)) return true;
    pollfd p{fd.get(), POLLIN, 0};
    int rc;
    do rc = ::poll(&p, 1, timeout_ms);
    while (rc < 0 && errno == EINTR);
    if (rc > 0) return true;
    // A zombie (exited, not yet reaped by the monitor) counts as gone.
    return !process_alive(pid, start_time);
}

void sleep_ms(int ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

}  // namespace

void MonitorLink::send(const std::string& line) {
    [[maybe_unused]] ssize_t n = ::send(control_.get(), line.data(), line.size(), MSG_NOSIGNAL);
}

void MonitorLink::forward_signal(int signal) {
    send("kill " + std::to_string(signal) + "\n");
}

void MonitorLink::resize(unsigned rows, unsigned cols) {
    send("winch " + std::to_string(rows) + " " + std::to_string(cols) + "\n");
}

int MonitorLink::wait_exit() {
    for (;;) {
        size_t nl;
        while ((nl = buffered_.find('\n')) != std::string::npos) {
            std::string line = buffered_.substr(0, nl);
            buffered_.erase(0, nl + 1);
            if (line.rfind("exit ", 0) == 0) return std::atoi(line.c_str() + 5);
        }
        char buf[256];
        ssize_t n = ::recv(control_.get(), buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        buffered_.append(buf, static_cast<size_t>(n));
    }
}

bool MonitorLink::read_exit(int& code) {
    char buf[256];
    ssize_t n = ::recv(control_.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
    if (n <= 0) {
        code = -1;
        return true;
    }
    buffered_.append(buf, static_cast<size_t>(n));
    if (buffered_.find("detached\n") != std::string::npos) {
        detached_ = true;  // ctrl-p ctrl-q: the container runs on
        code = 0;
        return true;
    }
    size_t pos = buffered_.find("exit ");
    if (pos == std::string::npos || buffered_.find('\n', pos) == std::string::npos) return false;
    code = std::atoi(buffered_.c_str() + pos + 5);
    return true;
}

std::unique_ptr<MonitorLink> Engine::attach(const std::string& id, const AttachFds& fds) {
    ContainerRecord record = containers_.load(id);
    if (state(id).status != "running")
        throw Error("cannot attach to container " + record.name + ": it is not running");
    UniqueFd link = request_attach(attach_socket_path(containers_.run_dir(id)), fds.in, fds.out,
                                   fds.err, fds.rows, fds.cols);
    return std::make_unique<MonitorLink>(std::move(link));
}

std::unique_ptr<MonitorLink> Engine::start(const std::string& id, const AttachFds* attach) {
    ContainerRecord record = containers_.load(id);
    {
        UniqueFd lock = containers_.lock(id);
        RunState st = state(id);
        if (st.status == "running") return nullptr;  // docker: starting a running one is a no-op
        if (is_active(containers_.load_state(id).status) &&
            process_alive(st.monitor_pid, st.monitor_start_time))
            throw Error("container " + record.name + " is restarting: stop it first");
        reap_orphan(id, st);
        st.stopped_by_user = false;
        st.error.clear();
        containers_.save_state(id, st);
    }
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        throw_errno("socketpair for the monitor");
    UniqueFd client(pair[0]), monitor_end(pair[1]);

    std::vector<std::string> args = {"berth-monitor", "--root", containers_.root(), "--runroot",
                                     containers_.run_root()};
    if (attach) args.push_back("--attach");
    if (attach && attach->rows && attach->cols)
        args.insert(args.end(),
                    {"--size", std::to_string(attach->rows) + "x" + std::to_string(attach->cols)});
    args.push_back(id);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string binary = monitor_binary_;
    if (binary.empty()) {
        char self[4096];
        ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0) throw_errno("readlink /proc/self/exe");
        std::string path(self, static_cast<size_t>(n));
        binary = path.substr(0, path.rfind('/') + 1) + "berth-monitor";
    }
    if (::access(binary.c_str(), X_OK) != 0) throw_errno("monitor " + binary);
    // The monitor runs berth-netns (installed beside it) for named networks.
    ::setenv("BERTH_NETNS_HELPER",
             (binary.substr(0, binary.rfind('/') + 1) + "berth-netns").c_str(), 0);
    // ...and bind-mounts berth-init (also installed beside it) for --init.
    ::setenv("BERTH_INIT_BINARY", (binary.substr(0, binary.rfind('/') + 1) + "berth-init").c_str(),
             0);
    UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null_fd) throw_errno("open /dev/null");
    int fds[4] = {attach && attach->in >= 0 ? attach->in : null_fd.get(),
                  attach ? attach->out : null_fd.get(), attach ? attach->err : null_fd.get(),
                  monitor_end.get()};

    pid_t child = ::fork();
    if (child < 0) throw_errno("fork the monitor");
    if (child == 0) {
        // Its own session, and orphaned at once (double fork): the monitor outlives this
        // command and never gets its terminal's signals.
        ::setsid();
        if (::fork() != 0) ::_exit(0);
        // Moved above 3 first, so no dup2 below overwrites a source still needed.
        int moved[4];
        for (int i = 0; i < 4; ++i) moved[i] = ::fcntl(fds[i], F_DUPFD, 10);
        for (int i = 0; i < 4; ++i) ::dup2(moved[i], i);
        ::close_range(4, ~0U, 0);
        ::execv(binary.c_str(), argv.data());
        const char msg[] = "error 125 cannot execute the monitor\n";
        [[maybe_unused]] ssize_t n = ::write(3, msg, sizeof msg - 1);
        ::_exit(125);
    }
    int status;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    monitor_end.reset();

    std::string line;
    char c;
    for (;;) {
        ssize_t n = ::recv(client.get(), &c, 1, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            throw Error("container " + record.name + ": the monitor exited before it started");
        if (c == '\n') break;
        line += c;
    }
    if (line.rfind("started", 0) == 0) return std::make_unique<MonitorLink>(std::move(client));
    if (line.rfind("error ", 0) == 0) {
        size_t space = line.find(' ', 6);
        int code = std::atoi(line.c_str() + 6);
        throw ExitError(space == std::string::npos ? line : line.substr(space + 1), code);
    }
    throw Error("container " + record.name + ": unexpected monitor reply \"" + line + "\"");
}

void Engine::reap_orphan(const std::string& id, RunState& st) {
    if (st.monitor_pid && process_alive(st.monitor_pid, st.monitor_start_time)) return;
    if (st.pid && process_alive(st.pid, st.pid_start_time)) return;
    ContainerRecord record = containers_.load(id);
    try {
        runtime::Runtime(containers_.runtime_root()).remove(id, true);
    } catch (const Error&) {
    }
    unmount_rootfs_if_mounted(containers_, id);
    teardown_network(containers_, record);
    RunState saved = containers_.load_state(id);
    if (is_active(saved.status)) {
        saved.status = "exited";
        saved.exit_code = st.exit_code;
        saved.error = st.error;
        saved.finished_at = now_rfc3339_nano();
        containers_.save_state(id, saved);
    }
    st = state(id);
}

void Engine::wait_monitor_gone(const std::string& id, int timeout_ms) {
    RunState st = containers_.load_state(id);
    if (st.monitor_pid) wait_process_exit(st.monitor_pid, st.monitor_start_time, timeout_ms);
}

void Engine::kill(const std::string& id, int signal) {
    RunState st = state(id);
    ContainerRecord record = containers_.load(id);
    if (st.status != "running")
        throw Error("cannot kill container " + record.name + ": container is not running");
    int stop_signal = SIGTERM;
    try {
        stop_signal = runtime::parse_signal(record.config.stop_signal);
    } catch (const Error&) {
    }
    if (signal == SIGKILL || signal == SIGTERM || signal == SIGINT || signal == stop_signal) {
        UniqueFd lock = containers_.lock(id);
        RunState saved = containers_.load_state(id);
        saved.stopped_by_user = true;
        containers_.save_state(id, saved);
    }
    runtime::Runtime(containers_.runtime_root()).kill(id, signal, signal == SIGKILL);
}

void Engine::stop(const std::string& id, std::optional<int> timeout) {
    ContainerRecord record = containers_.load(id);
    {
        UniqueFd lock = containers_.lock(id);
        RunState saved = containers_.load_state(id);
        saved.stopped_by_user = true;
        containers_.save_state(id, saved);
    }
    RunState st = state(id);
    int seconds = timeout.value_or(record.config.stop_timeout.value_or(10));
    if (st.status == "running") {
        int signal = SIGTERM;
        try {
            signal = runtime::parse_signal(record.config.stop_signal);
        } catch (const Error&) {
        }
        runtime::Runtime rt(containers_.runtime_root());
        try {
            rt.kill(id, signal, false);
        } catch (const Error&) {
        }
        if (!wait_process_exit(st.pid, st.pid_start_time, seconds * 1000)) {
            try {
                rt.kill(id, SIGKILL, true);
            } catch (const Error&) {
            }
            wait_process_exit(st.pid, st.pid_start_time, 10000);
        }
    }
    // The monitor records the exit and leaves (a restarting one sees stopped_by_user).
    wait_monitor_gone(id, 10000);
    UniqueFd lock = containers_.lock(id);
    st = state(id);
    reap_orphan(id, st);
}

void Engine::remove(const std::string& id, bool force, bool volumes) {
    ContainerRecord record = containers_.load(id);
    RunState st = state(id);
    if (is_active(st.status) || process_alive(st.monitor_pid, st.monitor_start_time)) {
        if (!force)
            throw Error("cannot remove container \"" + record.name + "\": container is " +
                        st.status + ": stop the container before removing or force remove (-f)");
        stop(id, 0);
    }
    {
        UniqueFd lock = containers_.lock(id);
        st = state(id);
        if (process_alive(st.pid, st.pid_start_time))
            throw Error("cannot remove container \"" + record.name + "\": it is still running");
        reap_orphan(id, st);
        try {
            runtime::Runtime(containers_.runtime_root()).remove(id, true);
        } catch (const Error&) {
        }
        unmount_rootfs_if_mounted(containers_, id);
    }
    images_->release_hold(id);
    release_volumes(containers_, id, volumes);
    containers_.remove(id);
}

int Engine::wait(const std::string& id) {
    for (;;) {
        RunState recorded;
        try {
            recorded = containers_.load_state(id);
        } catch (const Error&) {
            throw Error("No such container: " + id);
        }
        RunState st = state(id);
        bool monitor = process_alive(st.monitor_pid, st.monitor_start_time);
        if (!is_active(recorded.status) || (st.status == "exited" && !monitor) ||
            recorded.status == "restarting")
            if (st.status != "running") return st.exit_code;
        if (st.status == "running")
            wait_process_exit(st.pid, st.pid_start_time, 1000);
        else
            sleep_ms(10);
    }
}

}  // namespace berth::engine
