// berth-init: the container's PID 1 for `berth run --init` (docker's --init, tini's job).
//
//   /sbin/berth-init -- COMMAND [ARG]...
//
// A program that never expected to be PID 1 misbehaves there: the kernel gives PID 1 no
// default signal actions (SIGTERM from `berth stop` is simply dropped, so every stop waits
// for the timeout and ends in SIGKILL), and orphaned processes are reparented to it and stay
// zombies unless it reaps them. berth-init runs COMMAND as its one child, forwards every
// signal it gets to it, reaps every process that ends, and exits as COMMAND did (its code,
// or 128 + the signal that ended it). Static and tiny: it is bind-mounted into images that
// have no libc at all.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

int exit_code_of(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 255;
}

}  // namespace

int main(int argc, char** argv) {
    int first = 1;
    if (first < argc && strcmp(argv[first], "--") == 0) ++first;
    if (first >= argc) {
        fprintf(stderr, "usage: berth-init -- COMMAND [ARG]...\n");
        return 2;
    }
    // Every signal stays pending for sigwaitinfo below (blocked signals are queued even for
    // a namespace's PID 1, whose default actions the kernel ignores).
    sigset_t all, original;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &original);

    pid_t child = fork();
    if (child < 0) {
        fprintf(stderr, "berth-init: fork: %s\n", strerror(errno));
        return 1;
    }
    if (child == 0) {
        sigprocmask(SIG_SETMASK, &original, nullptr);
        execvp(argv[first], argv + first);
        int err = errno;
        fprintf(stderr, "berth-init: exec %s: %s\n", argv[first], strerror(err));
        _exit(err == ENOENT ? 127 : 126);
    }

    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&all, &info);
        if (sig < 0) continue;  // EINTR
        if (sig != SIGCHLD) {
            // Including SIGINT/SIGQUIT from a terminal and SIGTERM from `berth stop`.
            kill(child, sig);
            continue;
        }
        int status = 0;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid == child) return exit_code_of(status);
        }
    }
}
