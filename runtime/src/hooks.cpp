#include "hooks.h"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>

#include "berth/error.h"
#include "berth/fd.h"

namespace berth::runtime {
namespace {

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

void run_hook(const Hook& hook, const char* stage, const std::string& state_json) {
    const std::string what = std::string(stage) + " hook " + hook.path;
    Pipe input = Pipe::create();
    std::vector<std::string> args =
        hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
    std::vector<char*> argv = c_strings(args);
    std::vector<char*> envp = c_strings(hook.env);
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork " + what);
    if (pid == 0) {
        ::dup2(input.read_end.get(), STDIN_FILENO);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::execve(hook.path.c_str(), argv.data(), envp.data());
        std::fprintf(stderr, "berth-runtime: exec %s: %s\n", what.c_str(),
                     describe_errno(errno).c_str());
        ::_exit(127);
    }
    input.read_end.reset();
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    // A hook that ignores its stdin must not make us fail or block: the CLI ignores SIGPIPE,
    // so an early-exiting hook only costs an EPIPE here.
    const std::string payload = state_json;
    [[maybe_unused]] ssize_t written =
        ::write(input.write_end.get(), payload.data(), payload.size());
    input.write_end.reset();

    if (hook.timeout_seconds && pidfd) {
        pollfd p{pidfd.get(), POLLIN, 0};
        int ready;
        do ready = ::poll(&p, 1, *hook.timeout_seconds * 1000);
        while (ready < 0 && errno == EINTR);
        if (ready == 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            throw Error(what + ": timed out after " + std::to_string(*hook.timeout_seconds) + "s");
        }
    }
    int status;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw_errno("wait for " + what);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    if (WIFSIGNALED(status))
        throw Error(what + ": killed by signal " + std::to_string(WTERMSIG(status)));
    throw Error(what + ": exited with status " + std::to_string(WEXITSTATUS(status)));
}

}  // namespace

void run_hooks(const std::vector<Hook>& hooks, const char* stage, const std::string& state_json) {
    for (const Hook& hook : hooks) run_hook(hook, stage, state_json);
}

void run_hooks_warn(const std::vector<Hook>& hooks, const char* stage,
                    const std::string& state_json) {
    for (const Hook& hook : hooks) {
        try {
            run_hook(hook, stage, state_json);
        } catch (const Error& e) {
            std::fprintf(stderr, "berth-runtime: warning: %s\n", e.what());
        }
    }
}

}  // namespace berth::runtime
