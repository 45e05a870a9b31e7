// berth run | create [flags] IMAGE [CMD...]
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>

#include "berth/duration.h"
#include "berth/engine/engine.h"
#include "berth/engine/logs.h"
#include "berth/netns/network.h"
#include "berth/runtime/runtime.h"
#include "container_commands.h"

namespace berth::cli {
namespace {

struct RunFlags {
    bool detach = false, interactive = false, tty = false, remove = false, read_only = false;
    bool init = false;
    bool sig_proxy = true;
    bool insecure = false;
    std::string name, workdir, user, entrypoint, hostname, memory, memory_swap,
        restart = "no", network = "bridge", stop_signal;
    bool entrypoint_set = false;
    std::vector<std::string> env, env_files, volumes, tmpfs, cap_add, cap_drop, security_opt,
        labels, log_opts, publish, dns, network_aliases;
    std::string ip;
    double cpus = 0;
    int64_t pids_limit = 0;
    std::vector<std::string> ulimits;
    std::string health_cmd, health_interval, health_timeout, health_start_period;
    int health_retries = 0;
    bool no_healthcheck = false;
    int stop_timeout = -1;
};

void add_flags(CLI::App* cmd, RunFlags& f) {
    cmd->set_help_flag("--help", "print this help");  // -h is --hostname, as in docker
    cmd->add_option("--name", f.name, "container name");
    cmd->add_option("-e,--env", f.env, "K=V (K alone: the value from this environment)")
        ->allow_extra_args(false);
    cmd->add_option("--env-file", f.env_files, "file of K=V lines")->allow_extra_args(false);
    cmd->add_option("-v,--volume", f.volumes, "HOST:CTR[:ro|rw] or VOLUME:CTR[:ro|rw]")
        ->allow_extra_args(false);
    cmd->add_option("--tmpfs", f.tmpfs, "PATH[:options]")->allow_extra_args(false);
    cmd->add_option("-w,--workdir", f.workdir, "working directory in the container");
    cmd->add_option("-u,--user", f.user, "USER[:GROUP] (names from the image's /etc/passwd)");
    cmd->add_option("--entrypoint", f.entrypoint, "replace the image's entrypoint")
        ->each([&f](const std::string&) { f.entrypoint_set = true; });
    cmd->add_option("-h,--hostname", f.hostname, "container host name");
    cmd->add_option("-m,--memory", f.memory, "memory limit (e.g. 64m)");
    cmd->add_option("--memory-swap", f.memory_swap, "memory+swap limit (-1: unlimited)");
    cmd->add_option("--cpus", f.cpus, "CPUs (e.g. 0.5)");
    cmd->add_option("--pids-limit", f.pids_limit, "maximum number of processes");
    cmd->add_option("--ulimit", f.ulimits,
                    "NAME=SOFT[:HARD], e.g. nofile=1024:2048 (-1: unlimited)")
        ->allow_extra_args(false);
    cmd->add_option("--cap-add", f.cap_add, "add a capability (or ALL)")->allow_extra_args(false);
    cmd->add_option("--cap-drop", f.cap_drop, "drop a capability (or ALL)")
        ->allow_extra_args(false);
    cmd->add_option("--security-opt", f.security_opt, "seccomp=FILE|unconfined, no-new-privileges")
        ->allow_extra_args(false);
    cmd->add_flag("--read-only", f.read_only, "mount the root filesystem read-only");
    cmd->add_option("--health-cmd", f.health_cmd, "command run in the container to check health");
    cmd->add_option("--health-interval", f.health_interval, "time between checks (default 30s)");
    cmd->add_option("--health-timeout", f.health_timeout, "time a check may take (default 30s)");
    cmd->add_option("--health-retries", f.health_retries, "failures in a row for unhealthy (3)");
    cmd->add_option("--health-start-period", f.health_start_period,
                    "failures in this time after start do not count");
    cmd->add_flag("--no-healthcheck", f.no_healthcheck, "turn off the image's HEALTHCHECK");
    cmd->add_flag("--init", f.init, "run berth-init as PID 1: reaps orphans, forwards signals");
    cmd->add_option("--restart", f.restart, "no, on-failure[:N], always, unless-stopped");
    cmd->add_option("--network,--net", f.network,
                    "bridge (the default), none, host or a network's name");
    cmd->add_option("-p,--publish", f.publish, "[HOST_IP:]HOST_PORT:CTR_PORT[/tcp|udp]")
        ->allow_extra_args(false);
    cmd->add_option("--ip", f.ip, "the container's IPv4 address on the network");
    cmd->add_option("--network-alias", f.network_aliases, "another DNS name on the network")
        ->allow_extra_args(false);
    cmd->add_option("--dns", f.dns, "DNS server for the names that are not containers'")
        ->allow_extra_args(false);
    cmd->add_option("-l,--label", f.labels, "K=V")->allow_extra_args(false);
    cmd->add_option("--stop-signal", f.stop_signal, "signal for stop (default: the image's)");
    cmd->add_option("--stop-timeout", f.stop_timeout, "seconds before stop kills");
    cmd->add_option("--log-opt", f.log_opts, "max-size=10m, max-file=2")->allow_extra_args(false);
    cmd->add_flag("-i,--interactive", f.interactive, "keep stdin open");
    cmd->add_flag("-t,--tty", f.tty, "allocate a pty");
    cmd->add_flag("--insecure", f.insecure, "pull over plain http if the image is missing");
    // One value per occurrence (-v a -v b): a list option must not swallow IMAGE and COMMAND.
    for (CLI::Option* option : cmd->get_options()) option->allow_extra_args(false);
    // IMAGE and everything after it are the container's, not ours: `run img sh -c 'x'`.
    cmd->prefix_command();
}

std::pair<std::string, std::string> split_kv(const std::string& text, const char* flag) {
    size_t eq = text.find('=');
    if (eq == 0 || text.empty()) throw Error(std::string(flag) + " " + text + ": expected K=V");
    return {text.substr(0, eq), eq == std::string::npos ? "" : text.substr(eq + 1)};
}

int64_t memory_bytes(const std::string& text, const char* flag) {
    if (text.empty()) return 0;
    if (text == "-1") return -1;
    try {
        return static_cast<int64_t>(engine::parse_size(text));
    } catch (const Error&) {
        throw Error(std::string(flag) + " " + text + ": invalid size (e.g. 64m, 1g)");
    }
}

engine::CreateRequest build_request(const RunFlags& f, const std::vector<std::string>& rest) {
    if (rest.empty()) throw Error("\"run\" requires at least 1 argument: IMAGE [COMMAND...]");
    engine::CreateRequest req;
    req.name = f.name;
    req.image = rest.front();
    req.pull_insecure = f.insecure;
    engine::ContainerConfig& c = req.config;
    c.cmd.assign(rest.begin() + 1, rest.end());
    for (const std::string& file : f.env_files) {
        std::ifstream in(file);
        if (!in) throw Error("--env-file " + file + ": cannot open");
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            c.env.push_back(line);
        }
    }
    for (const std::string& e : f.env) {
        auto [k, v] = split_kv(e, "-e");
        if (e.find('=') == std::string::npos) {
            const char* host = ::getenv(k.c_str());
            if (!host) continue;  // docker: an unset K is left out
            v = host;
        }
        c.env.push_back(k + "=" + v);
    }
    c.working_dir = f.workdir;
    if (!c.working_dir.empty() && c.working_dir[0] != '/')
        throw Error("-w " + c.working_dir + ": the working directory must be absolute");
    c.user = f.user;
    if (f.entrypoint_set) {
        req.entrypoint_set = true;
        if (!f.entrypoint.empty()) c.entrypoint = {f.entrypoint};
    }
    c.hostname = f.hostname;
    for (const std::string& l : f.labels) {
        auto [k, v] = split_kv(l, "--label");
        c.labels[k] = v;
    }
    c.tty = f.tty;
    c.open_stdin = f.interactive;
    if (!f.stop_signal.empty()) {
        runtime::parse_signal(f.stop_signal);
        c.stop_signal = f.stop_signal;
    }
    if (f.stop_timeout >= 0) c.stop_timeout = f.stop_timeout;

    bool health_flags = !f.health_cmd.empty() || !f.health_interval.empty() ||
                        !f.health_timeout.empty() || !f.health_start_period.empty() ||
                        f.health_retries != 0;
    if (f.no_healthcheck && health_flags)
        throw Error("--no-healthcheck conflicts with the --health-* options");
    if (f.health_retries < 0) throw Error("--health-retries must not be negative");
    if (f.no_healthcheck) {
        c.healthcheck = engine::HealthConfig{{"NONE"}};
    } else if (health_flags) {
        engine::HealthConfig hc;
        if (!f.health_cmd.empty()) hc.test = {"CMD-SHELL", f.health_cmd};
        if (!f.health_interval.empty())
            hc.interval = parse_duration_ns(f.health_interval, "--health-interval");
        if (!f.health_timeout.empty())
            hc.timeout = parse_duration_ns(f.health_timeout, "--health-timeout");
        if (!f.health_start_period.empty())
            hc.start_period = parse_duration_ns(f.health_start_period, "--health-start-period");
        hc.retries = f.health_retries;
        c.healthcheck = hc;
    }

    engine::HostConfig& h = req.host;
    h.binds = f.volumes;
    for (const std::string& t : f.tmpfs) {
        size_t colon = t.find(':');
        h.tmpfs[t.substr(0, colon)] = colon == std::string::npos ? "" : t.substr(colon + 1);
    }
    h.memory = memory_bytes(f.memory, "--memory");
    h.memory_swap = memory_bytes(f.memory_swap, "--memory-swap");
    if (f.cpus < 0 || std::isnan(f.cpus)) throw Error("--cpus must be positive");
    h.nano_cpus = static_cast<int64_t>(f.cpus * 1e9);
    h.pids_limit = f.pids_limit;
    for (const std::string& u : f.ulimits) h.ulimits.push_back(engine::parse_ulimit(u));
    h.cap_add = f.cap_add;
    h.cap_drop = f.cap_drop;
    h.security_opt = f.security_opt;
    h.read_only = f.read_only;
    h.init = f.init;
    h.auto_remove = f.remove;
    h.restart_policy = engine::parse_restart_policy(f.restart);
    h.network_mode = f.network;
    h.port_bindings = f.publish;
    h.dns = f.dns;
    h.network_aliases = f.network_aliases;
    h.ipv4_address = f.ip;
    if ((!f.publish.empty() || !f.ip.empty() || !f.network_aliases.empty()) &&
        (f.network == "none" || f.network == "host"))
        throw Error("-p, --ip and --network-alias need a network (--network NAME)");
    for (const auto& p : f.publish) netns::PortMapping::parse(p);  // one-line error now
    if (!f.ip.empty()) netns::Ipv4::parse(f.ip);
    for (const auto& d : f.dns) netns::Ipv4::parse(d);
    for (const std::string& o : f.log_opts) {
        auto [k, v] = split_kv(o, "--log-opt");
        if (k == "max-size")
            engine::parse_size(v);
        else if (k == "max-file") {
            if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v == "0")
                throw Error("--log-opt max-file=" + v + ": must be a number >= 1");
        } else
            throw Error("--log-opt " + o + ": unknown (max-size, max-file)");
        h.log_options[k] = v;
    }
    return req;
}

// -it on a terminal: raw mode, the container's pty does the line discipline. -t alone: only
// output post-processing off, or every "\r\n" from the pty would gain another "\r".
class RawTerminal {
  public:
    RawTerminal(bool tty, bool interactive) {
        fd_ = interactive && ::isatty(STDIN_FILENO) ? STDIN_FILENO
              : ::isatty(STDOUT_FILENO)             ? STDOUT_FILENO
                                                    : -1;
        if (!tty || fd_ < 0 || ::tcgetattr(fd_, &saved_) != 0) return;
        termios raw = saved_;
        if (fd_ == STDIN_FILENO)
            ::cfmakeraw(&raw);
        else
            raw.c_oflag &= ~static_cast<tcflag_t>(OPOST);
        active_ = ::tcsetattr(fd_, TCSANOW, &raw) == 0;
    }
    ~RawTerminal() {
        if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
    }
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

  private:
    termios saved_{};
    int fd_ = -1;
    bool active_ = false;
};

void send_window_size(engine::MonitorLink& link) {
    winsize ws{};
    if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
        link.resize(ws.ws_row, ws.ws_col);
}

// Foreground (run without -d, and attach): signals go to the container (docker's
// --sig-proxy), window sizes to its pty, and the container's exit code becomes ours. `connect`
// hands our fds to the monitor (starting the container, or attaching to it).
using Connect = std::function<std::unique_ptr<engine::MonitorLink>(const engine::AttachFds&)>;
int attach_and_wait(engine::Engine& eng, const std::string& id, bool tty, bool interactive,
                    bool sig_proxy, const Connect& connect) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGWINCH);
    // --sig-proxy=false: signals end this client only; the container runs on.
    if (sig_proxy)
        for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&set, s);
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
    UniqueFd sigfd(::signalfd(-1, &set, SFD_CLOEXEC));
    engine::AttachFds fds{interactive ? STDIN_FILENO : -1, STDOUT_FILENO, STDERR_FILENO};
    winsize ws{};
    if (tty && (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 ||
                ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)) {
        fds.rows = ws.ws_row;
        fds.cols = ws.ws_col;
    }
    RawTerminal raw(tty, interactive);
    std::unique_ptr<engine::MonitorLink> link = connect(fds);
    if (!link) return 0;
    int code = 0;
    for (;;) {
        pollfd p[2] = {{link->fd(), POLLIN, 0}, {sigfd.get(), POLLIN, 0}};
        if (::poll(p, 2, -1) < 0) continue;
        if (p[1].revents) {
            signalfd_siginfo si;
            if (::read(sigfd.get(), &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGWINCH) {
                    if (tty) send_window_size(*link);
                } else {
                    link->forward_signal(static_cast<int>(si.ssi_signo));
                }
            }
        }
        if (p[0].revents && link->read_exit(code)) break;
    }
    if (link->detached()) {
        std::fprintf(stderr, "\r\nread escape sequence\r\n");  // docker's words
        return 0;
    }
    if (code < 0) {
        // The monitor died: report what is recorded.
        try {
            code = eng.state(id).exit_code;
        } catch (const Error&) {
            code = 125;
        }
    }
    return code;
}

int run(const GlobalFlags& g, const RunFlags& f, const std::vector<std::string>& rest, bool start) {
    engine::Engine eng(g.root, g.run_root);
    std::string id = eng.create(build_request(f, rest));
    if (!start) {
        std::printf("%s\n", id.c_str());
        return 0;
    }
    if (f.detach) {
        eng.start(id, nullptr);
        std::printf("%s\n", id.c_str());
        return 0;
    }
    return attach_and_wait(eng, id, f.tty, f.interactive, f.sig_proxy,
                           [&](const engine::AttachFds& fds) { return eng.start(id, &fds); });
}

// docker attach: this terminal becomes the running container's client until it exits.
int attach(const GlobalFlags& g, const std::string& ref, bool no_stdin, bool sig_proxy) {
    engine::Engine eng(g.root, g.run_root);
    std::string id = eng.containers().resolve(ref);
    const engine::ContainerConfig& c = eng.containers().load(id).config;
    return attach_and_wait(eng, id, c.tty, c.open_stdin && !no_stdin, sig_proxy,
                           [&](const engine::AttachFds& fds) { return eng.attach(id, fds); });
}

}  // namespace

void add_run_commands(CLI::App& app, GlobalFlags& g, Action& action) {
    auto f = std::make_shared<RunFlags>();
    CLI::App* run_cmd = app.add_subcommand("run", "create and start a container");
    add_flags(run_cmd, *f);
    run_cmd->add_flag("-d,--detach", f->detach, "run in the background, print the ID");
    run_cmd->add_flag("--rm", f->remove, "remove the container when it exits");
    run_cmd->add_option("--sig-proxy", f->sig_proxy,
                        "forward signals to the container in the foreground (default true)");
    run_cmd->callback([&, f, run_cmd] {
        action = [&g, f, run_cmd] {
            return container_action([&] { return run(g, *f, run_cmd->remaining(), true); });
        };
    });
    auto cf = std::make_shared<RunFlags>();
    CLI::App* create_cmd = app.add_subcommand("create", "create a container (start runs it)");
    add_flags(create_cmd, *cf);
    create_cmd->add_flag("--rm", cf->remove, "remove the container when it exits");
    create_cmd->callback([&, cf, create_cmd] {
        action = [&g, cf, create_cmd] {
            return container_action([&] { return run(g, *cf, create_cmd->remaining(), false); });
        };
    });

    struct AttachFlags {
        std::string container;
        bool no_stdin = false;
        bool sig_proxy = true;
    };
    auto af = std::make_shared<AttachFlags>();
    CLI::App* attach_cmd =
        app.add_subcommand("attach", "attach this terminal to a running container");
    attach_cmd->add_option("CONTAINER", af->container)->required();
    attach_cmd->add_flag("--no-stdin", af->no_stdin, "do not send this terminal's input");
    attach_cmd->add_option("--sig-proxy", af->sig_proxy,
                           "forward signals to the container (default true)");
    attach_cmd->callback([&, af] {
        action = [&g, af] {
            return container_action(
                [&] { return attach(g, af->container, af->no_stdin, af->sig_proxy); });
        };
    });
}

}  // namespace berth::cli
