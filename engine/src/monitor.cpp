#include "berth/engine/monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <thread>

#include "attach_socket.h"
#include "berth/engine/engine.h"
#include "berth/engine/logs.h"
#include "berth/file_io.h"
#include "berth/images/store.h"
#include "berth/runtime/runtime.h"
#include "bundle.h"
#include "health_probe.h"
#include "monitor_io.h"
#include "mounts.h"
#include "network_setup.h"
#include "restart_policy.h"
#include "rootfs.h"
#include "user_lookup.h"

namespace berth::engine {
namespace {

constexpr int kControlFd = 3;

int exit_code_of(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 255;
}

class Monitor {
  public:
    Monitor(const std::string& root, const std::string& run_root, const std::string& id,
            bool attach, unsigned rows, unsigned cols)
        : store_(root, run_root),
          id_(id),
          record_(store_.load(id)),
          runtime_(store_.runtime_root()),
          rows_(rows),
          cols_(cols) {
        if (attach) {
            client_in_ = UniqueFd(::fcntl(0, F_DUPFD_CLOEXEC, 10));
            client_out_ = UniqueFd(::fcntl(1, F_DUPFD_CLOEXEC, 10));
            client_err_ = UniqueFd(::fcntl(2, F_DUPFD_CLOEXEC, 10));
        }
        control_ = UniqueFd(::fcntl(kControlFd, F_DUPFD_CLOEXEC, 10));
        ::close(kControlFd);
        UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
        for (int fd = 0; fd < 3; ++fd) ::dup2(null.get(), fd);
        auto opts = record_.host_config.log_options;
        uint64_t max_size = opts.count("max-size") ? parse_size(opts["max-size"]) : (10u << 20);
        int max_files = opts.count("max-file") ? std::stoi(opts["max-file"]) : 2;
        log_.emplace(store_.log_path(id), max_size, max_files);
    }

    int run();

  private:
    // One start of the container; returns its exit code.
    int run_once(bool first);
    void pump(pid_t init, ContainerStdio& stdio, int& status);
    void handle_control();
    void write_client(int fd, const char* data, size_t n);
    void drop_client();
    void notify(const std::string& line);
    void update_state(const std::function<void(RunState&)>& change);
    bool stop_requested();
    bool should_restart(int code, int restarts);
    std::optional<HealthProbe> health_;  // the container's health check, while it runs
    // `berth attach`: clients connect here while the container runs (attach_socket.h).
    UniqueFd attach_listener_;
    // Detach keys (ctrl-p ctrl-q) from a terminal client: the ctrl-p waits for the next byte.
    static constexpr char kDetachPrefix = 0x10, kDetachKey = 0x11;
    bool detach_prefix_seen_ = false;
    void accept_attach(ContainerStdio& stdio, int& in_target);
    // Sleeps the backoff in slices; false when a stop arrived meanwhile.
    bool backoff(std::chrono::milliseconds delay);
    void prepare_bundle();

    ContainerStore store_;
    std::string id_;
    ContainerRecord record_;
    runtime::Runtime runtime_;
    UniqueFd client_in_, client_out_, client_err_, control_, signals_;
    std::optional<LogWriter> log_;
    std::optional<images::OverlayMount> rootfs_;
    std::string control_buffer_;
    int master_fd_ = -1;
    unsigned rows_ = 0, cols_ = 0;
    pid_t init_ = 0;
    bool notified_start_ = false;
    std::string start_error_;
    std::chrono::steady_clock::duration last_ran_{};
};

void Monitor::notify(const std::string& line) {
    if (!control_) return;
    std::string l = line + "\n";
    if (::send(control_.get(), l.data(), l.size(), MSG_NOSIGNAL) < 0) control_.reset();
}

void Monitor::drop_client() {
    detach_prefix_seen_ = false;
    client_in_.reset();
    client_out_.reset();
    client_err_.reset();
}

void Monitor::write_client(int fd, const char* data, size_t n) {
    if (fd >= 0 && !write_fully(fd, data, n)) drop_client();
}

void Monitor::update_state(const std::function<void(RunState&)>& change) {
    UniqueFd lock = store_.lock(id_);
    RunState st = store_.load_state(id_);
    change(st);
    store_.save_state(id_, st);
}

bool Monitor::stop_requested() {
    return store_.load_state(id_).stopped_by_user;
}

void Monitor::handle_control() {
    char buf[512];
    ssize_t n = ::recv(control_.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
        // The client went away (detached run, or killed): the container keeps running.
        control_.reset();
        drop_client();
        return;
    }
    control_buffer_.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = control_buffer_.find('\n')) != std::string::npos) {
        std::string line = control_buffer_.substr(0, nl);
        control_buffer_.erase(0, nl + 1);
        unsigned a = 0, b = 0;
        if (std::sscanf(line.c_str(), "kill %u", &a) == 1 && init_ > 0 && a < 65) {
            ::kill(init_, static_cast<int>(a));
        } else if (std::sscanf(line.c_str(), "winch %u %u", &a, &b) == 2 && master_fd_ >= 0) {
            winsize ws{};
            ws.ws_row = static_cast<unsigned short>(a);
            ws.ws_col = static_cast<unsigned short>(b);
            ::ioctl(master_fd_, TIOCSWINSZ, &ws);
            rows_ = a;
            cols_ = b;
        }
    }
}

void Monitor::pump(pid_t init, ContainerStdio& stdio, int& status) {
    bool exited = false;
    auto exited_at = std::chrono::steady_clock::now();
    char buf[65536];
    int in_target = stdio.master ? stdio.master.get() : stdio.in_write.get();
    for (;;) {
        bool outputs_open = stdio.out_read || stdio.err_read || stdio.master;
        if (exited && !outputs_open) return;
        if (exited && std::chrono::steady_clock::now() - exited_at > std::chrono::seconds(1))
            return;  // something outside the container holds the pipe open
        std::vector<pollfd> fds;
        fds.push_back({signals_.get(), POLLIN, 0});
        if (control_) fds.push_back({control_.get(), POLLIN, 0});
        if (stdio.out_read) fds.push_back({stdio.out_read.get(), POLLIN, 0});
        if (stdio.err_read) fds.push_back({stdio.err_read.get(), POLLIN, 0});
        if (stdio.master) fds.push_back({stdio.master.get(), POLLIN, 0});
        if (client_in_ && in_target >= 0 && !exited) fds.push_back({client_in_.get(), POLLIN, 0});
        if (attach_listener_ && !exited) fds.push_back({attach_listener_.get(), POLLIN, 0});
        const int health_fd = health_ && !exited ? health_->output_fd() : -1;
        if (health_fd >= 0) fds.push_back({health_fd, POLLIN, 0});
        int rc = ::poll(fds.data(), fds.size(),
                        exited ? 100 : (health_ ? health_->poll_timeout_ms() : -1));
        if (rc < 0 && errno != EINTR) throw_errno("monitor poll");
        for (const pollfd& p : fds) {
            if (!p.revents) continue;
            if (p.fd == signals_.get()) {
                signalfd_siginfo si;
                while (::read(signals_.get(), &si, sizeof si) == sizeof si) {
                    if (si.ssi_signo != SIGCHLD && init > 0 && !exited)
                        ::kill(init, static_cast<int>(si.ssi_signo));  // e.g. SIGTERM at shutdown
                }
                int st;
                pid_t pid;
                while ((pid = ::waitpid(-1, &st, WNOHANG)) > 0)
                    if (health_ && health_->on_reaped(pid, st)) {
                        continue;
                    } else if (pid == init) {
                        status = st;
                        exited = true;
                        exited_at = std::chrono::steady_clock::now();
                        init_ = 0;
                    }
            } else if (control_ && p.fd == control_.get()) {
                handle_control();
            } else if (attach_listener_ && p.fd == attach_listener_.get()) {
                accept_attach(stdio, in_target);
            } else if (health_fd >= 0 && p.fd == health_fd) {
                if (health_) health_->on_output();
            } else if (p.fd == stdio.out_read.get() || p.fd == stdio.err_read.get() ||
                       p.fd == stdio.master.get()) {
                bool is_err = p.fd == stdio.err_read.get();
                ssize_t n = ::read(p.fd, buf, sizeof buf);
                if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                if (n <= 0) {  // EOF, or EIO on a master whose slave is closed everywhere
                    if (p.fd == stdio.out_read.get())
                        stdio.out_read.reset();
                    else if (is_err)
                        stdio.err_read.reset();
                    else {
                        stdio.master.reset();
                        master_fd_ = -1;
                    }
                    continue;
                }
                log_->write(is_err ? "stderr" : "stdout", buf, static_cast<size_t>(n));
                write_client(is_err ? client_err_.get() : client_out_.get(), buf,
                             static_cast<size_t>(n));
            } else if (client_in_ && p.fd == client_in_.get()) {
                ssize_t n = ::read(p.fd, buf, sizeof buf);
                if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                if (n <= 0) {
                    client_in_.reset();
                    if (!stdio.master) stdio.in_write.reset();  // EOF reaches the program
                    in_target = stdio.master ? in_target : -1;
                    continue;
                }
                if (stdio.master) {
                    // docker's detach keys on a terminal: ctrl-p ctrl-q leaves the container
                    // running and lets the client go.
                    std::string keep;
                    bool detach = false;
                    for (ssize_t i = 0; i < n && !detach; ++i) {
                        char c = buf[i];
                        if (detach_prefix_seen_) {
                            detach_prefix_seen_ = false;
                            if (c == kDetachKey) {
                                detach = true;
                                break;
                            }
                            keep += kDetachPrefix;
                        }
                        if (c == kDetachPrefix)
                            detach_prefix_seen_ = true;
                        else
                            keep += c;
                    }
                    if (!keep.empty() && !write_fully(in_target, keep.data(), keep.size()))
                        in_target = -1;
                    if (detach) {
                        notify("detached");
                        control_.reset();
                        drop_client();
                    }
                    continue;
                }
                if (!write_fully(in_target, buf, static_cast<size_t>(n))) in_target = -1;
            }
        }
        if (health_) {
            if (exited)
                health_->container_stopped();
            else
                health_->tick();
        }
    }
}

void Monitor::accept_attach(ContainerStdio& stdio, int& in_target) {
    AttachRequestFds request = accept_attach_client(attach_listener_.get());
    if (!request.connection) return;
    auto reply = [&](const std::string& line) {
        [[maybe_unused]] ssize_t n =
            ::send(request.connection.get(), line.data(), line.size(), MSG_NOSIGNAL);
    };
    if (control_) {
        // One client at a time: the first (run's foreground, or an attach) keeps it.
        reply("error another client is attached to this container\n");
        return;
    }
    control_ = std::move(request.connection);
    control_buffer_.clear();
    client_out_ = std::move(request.out);
    client_err_ = std::move(request.err);
    // Stdin only where the container has one open (-i) and no earlier client closed it.
    if (request.in && in_target >= 0) client_in_ = std::move(request.in);
    if (request.rows && request.cols && master_fd_ >= 0) {
        winsize ws{};
        ws.ws_row = static_cast<unsigned short>(request.rows);
        ws.ws_col = static_cast<unsigned short>(request.cols);
        ::ioctl(master_fd_, TIOCSWINSZ, &ws);
    }
    (void)stdio;
    notify("attached");
}

void Monitor::prepare_bundle() {
    NetworkAttachment net;
    {
        // Every start takes the record as it is now (`network connect/disconnect` change it
        // between starts, also between restarts by the policy), under the container's lock:
        // a concurrent `network connect` (which holds it too) either recorded its network
        // before this read or finds the namespace made here and attaches to it live.
        UniqueFd lock = store_.lock(id_);
        record_ = store_.load(id_);
        net = setup_network(store_, record_);
    }
    std::string dir = store_.dir(id_);
    write_file_atomic(dir + "/hosts", net.hosts, 0644);
    write_file_atomic(dir + "/hostname", net.hostname, 0644);
    write_file_atomic(dir + "/resolv.conf", net.resolv_conf, 0644);
    UniqueFd root(::open(store_.rootfs_dir(id_).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open rootfs of " + id_);
    ResolvedUser user = resolve_user(root.get(), record_.config.user);
    if (!record_.config.working_dir.empty())
        make_dirs_in_root(root.get(), record_.config.working_dir);
    write_file_atomic(store_.bundle_dir(id_) + "/config.json",
                      bundle_config_json(store_, record_, user, net));
}

int Monitor::run_once(bool first) {
    start_error_.clear();
    if (!rootfs_) {
        rootfs_.emplace(mount_rootfs(store_, record_));
        populate_volumes(store_, record_);
    }
    prepare_bundle();
    ::mkdir(store_.run_dir(id_).c_str(), 0700);
    ContainerStdio stdio = ContainerStdio::prepare(record_.config.tty, record_.config.open_stdin,
                                                   store_.run_dir(id_) + "/console.sock");
    runtime::CreateOptions options;
    options.bundle = store_.bundle_dir(id_);
    options.console_socket = stdio.console_path;
    // A runtime record left by a monitor that was killed would make create fail.
    try {
        runtime_.remove(id_, true);
    } catch (const Error&) {
    }
    stdio.install_for_create();
    try {
        runtime_.create(id_, options);
    } catch (...) {
        stdio.restore_after_create();
        throw;
    }
    stdio.restore_after_create();
    if (stdio.console_listener) stdio.receive_master();
    master_fd_ = stdio.master ? stdio.master.get() : -1;
    if (master_fd_ >= 0 && rows_ && cols_) {
        winsize ws{};
        ws.ws_row = static_cast<unsigned short>(rows_);
        ws.ws_col = static_cast<unsigned short>(cols_);
        ::ioctl(master_fd_, TIOCSWINSZ, &ws);
    }
    runtime::ContainerState cs = runtime_.state(id_);
    init_ = cs.pid;
    uint64_t start_time = process_start_time(init_);
    int status = 0;
    auto began = std::chrono::steady_clock::now();
    try {
        runtime_.start(id_);
    } catch (const Error& e) {
        // The init reports why it could not exec and exits 126/127 by itself.
        start_error_ = e.what();
        for (int i = 0; i < 300 && ::waitpid(init_, &status, WNOHANG) != init_; ++i)
            ::usleep(10000);
        init_ = 0;
    }
    if (start_error_.empty()) {
        update_state([&](RunState& st) {
            st.status = "running";
            st.pid = cs.pid;
            st.pid_start_time = start_time;
            st.started_at = now_rfc3339_nano();
            st.oom_killed = false;
            st.error.clear();
        });
        if (first) notify("started " + std::to_string(cs.pid));
        notified_start_ = true;
        const auto& check = record_.config.healthcheck;
        if (check && !check->disabled()) {
            health_.emplace(store_, id_, *check);
            health_->container_started();
        } else {
            health_.reset();
            clear_health(store_, id_);
        }
        pump(cs.pid, stdio, status);
        if (health_) health_->container_stopped();
    }
    log_->flush();
    int code = start_error_.empty() ? exit_code_of(status) : exit_code_of(status);
    bool oom = false;
    try {
        auto stats = nlohmann::json::parse(runtime_.stats_json(id_));
        oom = stats["data"]["memory"]["events"].value("oom_kill", uint64_t{0}) > 0;
    } catch (const std::exception&) {
    }
    try {
        runtime_.remove(id_, true);
    } catch (const Error&) {
    }
    auto ran = std::chrono::steady_clock::now() - began;
    update_state([&](RunState& st) {
        st.status = "exited";
        st.exit_code = code;
        st.finished_at = now_rfc3339_nano();
        st.oom_killed = oom;
        st.error = start_error_;
        if (!start_error_.empty()) st.started_at = st.finished_at;
    });
    if (!start_error_.empty() && first)
        notify("error " + std::to_string(code) + " " + start_error_);
    last_ran_ = ran;
    return code;
}

bool Monitor::should_restart(int code, int restarts) {
    return !stop_requested() && restart_wanted(record_.host_config.restart_policy, code, restarts);
}

bool Monitor::backoff(std::chrono::milliseconds delay) {
    auto until = std::chrono::steady_clock::now() + delay;
    while (std::chrono::steady_clock::now() < until) {
        if (stop_requested()) return false;
        pollfd p[2] = {{signals_.get(), POLLIN, 0}, {control_ ? control_.get() : -1, POLLIN, 0}};
        ::poll(p, 2, 50);
        if (p[0].revents) {
            signalfd_siginfo si;
            while (::read(signals_.get(), &si, sizeof si) == sizeof si)
                if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) return false;
            while (::waitpid(-1, nullptr, WNOHANG) > 0) {
            }
        }
        if (p[1].revents) handle_control();
    }
    return !stop_requested();
}

int Monitor::run() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&set, s);
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
    signals_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!signals_) throw_errno("signalfd");
    const std::string attach_path = attach_socket_path(store_.run_dir(id_));
    ::mkdir(store_.run_dir(id_).c_str(), 0700);
    try {
        attach_listener_ = listen_attach_socket(attach_path);
    } catch (const Error&) {
        // No attach for this container; everything else works without it.
    }

    int code = 0;
    Backoff delays;
    for (bool first = true;; first = false) {
        try {
            code = run_once(first);
        } catch (const std::exception& e) {
            // Nothing could be started (mount, bundle, create): recorded, never retried.
            std::string message = e.what();
            update_state([&](RunState& st) {
                st.status = "exited";
                st.exit_code = 125;
                st.error = message;
                st.finished_at = now_rfc3339_nano();
            });
            if (first) notify("error 125 " + message);
            code = 125;
            break;
        }
        int restarts = store_.load_state(id_).restart_count;
        if (!should_restart(code, restarts)) break;
        std::chrono::milliseconds delay = delays.next(last_ran_);
        update_state([&](RunState& st) {
            st.status = "restarting";
            st.restart_count += 1;
        });
        if (!backoff(delay)) {
            update_state([&](RunState& st) { st.status = "exited"; });
            break;
        }
    }
    attach_listener_.reset();
    ::unlink(attach_path.c_str());
    rootfs_.reset();
    teardown_network(store_, record_);
    if (record_.host_config.auto_remove) {
        try {
            images::Store(store_.root()).release_hold(id_);
            release_volumes(store_, id_, true);  // docker: --rm takes anonymous volumes along
            store_.remove(id_);
        } catch (const std::exception&) {
        }
    }
    // Last: an attached `run --rm` returns only once nothing of the container is left.
    notify("exit " + std::to_string(code));
    return 0;
}

}  // namespace

int monitor_main(const std::string& root, const std::string& run_root, const std::string& id,
                 bool attach, unsigned rows, unsigned cols) {
    ::signal(SIGPIPE, SIG_IGN);
    // Orphans of the container (exec'd helpers, runtime intermediates) are reaped here.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    std::optional<Monitor> monitor;
    try {
        monitor.emplace(root, run_root, id, attach, rows, cols);
        ContainerStore store(root, run_root);
        UniqueFd lock = store.lock(id);
        RunState st = store.load_state(id);
        st.monitor_pid = ::getpid();
        st.monitor_start_time = process_start_time(::getpid());
        store.save_state(id, st);
    } catch (const std::exception& e) {
        std::string line = std::string("error 125 ") + e.what() + "\n";
        [[maybe_unused]] ssize_t n = ::send(kControlFd, line.data(), line.size(), MSG_NOSIGNAL);
        return 125;
    }
    try {
        return monitor->run();
    } catch (const std::exception&) {
        return 125;
    }
}

}  // namespace berth::engine
