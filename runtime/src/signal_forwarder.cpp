#include "signal_forwarder.h"

#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "berth/error.h"

namespace berth::runtime {
namespace {

constexpr int kForwardedSignals[] = {SIGHUP,  SIGINT,   SIGQUIT, SIGTERM, SIGUSR1,
                                     SIGUSR2, SIGWINCH, SIGCONT, SIGALRM};

}  // namespace

int exit_code_of(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

SignalForwarder::SignalForwarder() {
    sigset_t mask;
    sigemptyset(&mask);
    for (int sig : kForwardedSignals) sigaddset(&mask, sig);
    sigaddset(&mask, SIGCHLD);
    if (::sigprocmask(SIG_BLOCK, &mask, &old_mask_) != 0) throw_errno("sigprocmask");
    signal_fd_.reset(::signalfd(-1, &mask, SFD_CLOEXEC));
    if (!signal_fd_) {
        int err = errno;
        ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
        throw_errno("signalfd", err);
    }
}

SignalForwarder::~SignalForwarder() {
    ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

int SignalForwarder::wait(pid_t child) {
    for (;;) {
        // The child may already be gone before the first SIGCHLD is read.
        int status;
        if (::waitpid(child, &status, WNOHANG) == child) return exit_code_of(status);
        signalfd_siginfo info;
        ssize_t n = ::read(signal_fd_.get(), &info, sizeof info);
        if (n < 0 && errno == EINTR) continue;
        if (n != sizeof info) throw_errno("read signalfd");
        if (info.ssi_signo != SIGCHLD) ::kill(child, static_cast<int>(info.ssi_signo));
    }
}

}  // namespace berth::runtime
