// `exec`: a new process inside a running container's namespaces and cgroup, with the
// container's (or the given) process settings, seccomp profile and capabilities.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "berth/error.h"
#include "berth/file_io.h"
#include "console.h"
#include "container_internal.h"
#include "exec_process.h"
#include "signal_forwarder.h"

namespace berth::runtime {
namespace {

// The namespaces to enter: pid first (joined by the runtime, it only applies to children),
// then the user namespace (it owns the rest), mount last (it also moves our root into the
// container's).
constexpr std::pair<const char*, int> kNamespaces[] = {
    {"pid", CLONE_NEWPID}, {"user", CLONE_NEWUSER}, {"cgroup", CLONE_NEWCGROUP},
    {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},   {"net", CLONE_NEWNET},
    {"mnt", CLONE_NEWNS}};

bool same_namespace_as_ours(int fd, const char* name) {
    struct stat ours, theirs;
    return ::stat((std::string("/proc/self/ns/") + name).c_str(), &ours) == 0 &&
           ::fstat(fd, &theirs) == 0 && ours.st_ino == theirs.st_ino;
}

void set_env(std::vector<std::string>& env, const std::string& entry) {
    std::string key = entry.substr(0, entry.find('='));
    auto same_key = [&](const std::string& e) {
        return e.compare(0, key.size() + 1, key + "=") == 0;
    };
    std::erase_if(env, same_key);
    env.push_back(entry);
}

Process build_process(const Spec& spec, const ExecOptions& options) {
    if (!options.process_file.empty()) return parse_process_json(read_file(options.process_file));
    Process p = spec.process;
    if (options.args.empty()) throw Error("exec: no command given");
    p.args = options.args;
    for (const std::string& e : options.env) set_env(p.env, e);
    if (!options.cwd.empty()) p.cwd = options.cwd;
    if (options.uid) {
        p.user.uid = *options.uid;
        p.user.additional_gids = options.additional_gids;
    }
    if (options.gid) p.user.gid = *options.gid;
    p.terminal = options.tty;
    if (options.console_size) p.console_size = options.console_size;
    p.no_new_privileges = p.no_new_privileges || options.no_new_privileges;
    if (!options.caps_add.empty()) {
        if (!p.capabilities) p.capabilities = Capabilities{};
        for (std::string name : options.caps_add) {
            std::transform(name.begin(), name.end(), name.begin(), ::tolower);
            if (name.rfind("cap_", 0) != 0) name = "cap_" + name;
            cap_value_t cap;
            if (cap_from_name(name.c_str(), &cap) != 0)
                throw Error("exec --cap: unknown capability \"" + name + "\"");
            for (auto* set : {&p.capabilities->bounding, &p.capabilities->effective,
                              &p.capabilities->permitted})
                if (std::find(set->begin(), set->end(), cap) == set->end()) set->push_back(cap);
        }
    }
    return p;
}

[[noreturn]] void exec_child(const Process& process,
                             const std::vector<std::pair<int, UniqueFd>>& namespaces,
                             const SeccompFilter* seccomp, int go_fd, int error_fd, int console_fd,
                             int preserve_fds) {
    try {
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        char go;
        if (::read(go_fd, &go, 1) != 1) throw Error("exec: runtime went away");
        for (const auto& [flag, fd] : namespaces)
            if (flag != CLONE_NEWPID && ::setns(fd.get(), flag) != 0)
                throw_errno("exec: join container namespace");
        apply_rlimits(process);
        if (process.terminal) setup_console(console_fd, false, process.console_size);
        exec_user_process(process, seccomp, 3 + preserve_fds);
    } catch (const Error& e) {
        std::string message = e.what();
        [[maybe_unused]] ssize_t n = ::write(error_fd, message.data(), message.size());
        ::_exit(e.errno_value() == ENOENT ? 127 : 126);
    } catch (const std::exception& e) {
        std::string message = e.what();
        [[maybe_unused]] ssize_t n = ::write(error_fd, message.data(), message.size());
        ::_exit(126);
    }
}

}  // namespace

int Runtime::exec(const std::string& id, const ExecOptions& options) {
    StateStore store(root_);
    ContainerRecord record = store.load(id);
    Status status = store.current_state(record).status;
    if (status != Status::running)
        throw Error("cannot exec in container \"" + id + "\": it is " + status_name(status));
    Spec spec = load_saved_spec(store, id);
    Process process = build_process(spec, options);
    UniqueFd console;
    if (process.terminal) {
        if (options.console_socket.empty()) throw Error("exec --tty needs --console-socket");
        console = connect_console_socket(options.console_socket);
    }
    std::optional<SeccompFilter> seccomp;
    if (spec.linux.seccomp) seccomp.emplace(*spec.linux.seccomp, store.seccomp_cache_dir());

    pid_t init = record.state.pid;
    std::vector<std::pair<int, UniqueFd>> namespaces;
    for (const auto& [name, flag] : kNamespaces) {
        UniqueFd fd(::open(("/proc/" + std::to_string(init) + "/ns/" + name).c_str(),
                           O_RDONLY | O_CLOEXEC));
        if (!fd) throw_errno(std::string("exec: open ") + name + " namespace of container " + id);
        // setns into the user namespace we are already in fails with EINVAL.
        if (flag == CLONE_NEWUSER && same_namespace_as_ours(fd.get(), name)) continue;
        namespaces.emplace_back(flag, std::move(fd));
    }
    // Entering the pid namespace only affects children: the forked process is born inside.
    if (::setns(namespaces.front().second.get(), CLONE_NEWPID) != 0)
        throw_errno("exec: join pid namespace");

    std::optional<SignalForwarder> forwarder;
    if (!options.detach) forwarder.emplace();
    Pipe go = Pipe::create();
    Pipe error = Pipe::create();
    pid_t child = ::fork();
    if (child < 0) throw_errno("fork for exec");
    if (child == 0)
        exec_child(process, namespaces, seccomp ? &*seccomp : nullptr, go.read_end.get(),
                   error.write_end.get(), console.get(), options.preserve_fds);
    go.read_end.reset();
    error.write_end.reset();
    try {
        // Into the container's cgroup before it runs anything, so its limits apply at once.
        if (auto cgroup = cgroup_of(record)) cgroup->add_process(child);
    } catch (...) {
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        throw;
    }
    char go_byte = 'G';
    [[maybe_unused]] ssize_t sent = ::write(go.write_end.get(), &go_byte, 1);
    std::string failure;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(error.read_end.get(), buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        failure.append(buf, static_cast<size_t>(n));
    }
    if (!failure.empty()) {
        // Like a shell: 127 when the program does not exist, 126 when it cannot run.
        int status_code = 0;
        ::waitpid(child, &status_code, 0);
        std::fprintf(stderr, "berth-runtime: exec failed: %s\n", failure.c_str());
        return exit_code_of(status_code);
    }
    if (!options.pid_file.empty()) write_file_atomic(options.pid_file, std::to_string(child), 0644);
    if (options.detach) return 0;
    return forwarder->wait(child);
}

}  // namespace berth::runtime
