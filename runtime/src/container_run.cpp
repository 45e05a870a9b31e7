// `run`: create + start. In the foreground the runtime stays the init's parent, forwards the
// signals it receives and exits with the container's status.
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "berth/error.h"
#include "container_internal.h"

namespace berth::runtime {
namespace {

constexpr int kForwardedSignals[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
                                     SIGWINCH, SIGCONT, SIGALRM};

int exit_code_of(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

int wait_forwarding_signals(pid_t init, int signal_fd) {
    for (;;) {
        signalfd_siginfo info;
        ssize_t n = ::read(signal_fd, &info, sizeof info);
        if (n < 0 && errno == EINTR) continue;
        if (n != sizeof info) throw_errno("read signalfd");
        if (info.ssi_signo != SIGCHLD) {
            ::kill(init, static_cast<int>(info.ssi_signo));
            continue;
        }
        int status;
        pid_t done = ::waitpid(init, &status, WNOHANG);
        if (done == init) return exit_code_of(status);
    }
}

// The init exits by itself right after reporting an exec failure; give it a moment to do so
// before forcing it, so its 126/127 status is what we return.
int reap_failed_init(pid_t init) {
    int status = 0;
    for (int attempt = 0; attempt < 200; ++attempt) {
        if (::waitpid(init, &status, WNOHANG) == init) return exit_code_of(status);
        ::usleep(10000);
    }
    ::kill(init, SIGKILL);
    while (::waitpid(init, &status, 0) < 0 && errno == EINTR) {
    }
    return 1;
}

}  // namespace

int Runtime::run(const std::string& id, const CreateOptions& options, bool detach) {
    StateStore store(root_);
    if (detach) {
        create_container(store, id, options);
        try {
            start_container(store, id);
        } catch (...) {
            destroy_container(store, store.load(id));
            throw;
        }
        return 0;
    }

    // Block before the clone so no signal meant for the container is lost in between; the
    // init restores an empty mask for itself.
    sigset_t mask, old_mask;
    sigemptyset(&mask);
    for (int sig : kForwardedSignals) sigaddset(&mask, sig);
    sigaddset(&mask, SIGCHLD);
    if (::sigprocmask(SIG_BLOCK, &mask, &old_mask) != 0) throw_errno("sigprocmask");
    struct MaskRestore {
        sigset_t old;
        ~MaskRestore() { ::sigprocmask(SIG_SETMASK, &old, nullptr); }
    } restore{old_mask};
    UniqueFd signal_fd(::signalfd(-1, &mask, SFD_CLOEXEC));
    if (!signal_fd) throw_errno("signalfd");

    pid_t init = create_container(store, id, options);
    ContainerRecord record = store.load(id);
    int code;
    try {
        start_container(store, id);
        code = wait_forwarding_signals(init, signal_fd.get());
    } catch (const Error& e) {
        // The program could not be executed: the init reports why and exits 126/127.
        std::fprintf(stderr, "berth-runtime: %s\n", e.what());
        code = reap_failed_init(init);
    }
    destroy_container(store, record);
    return code;
}

}  // namespace berth::runtime
