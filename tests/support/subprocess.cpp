#include "subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>

namespace berth::test {
namespace {

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
    std::vector<char*> out;
    for (const std::string& a : argv) out.push_back(const_cast<char*>(a.c_str()));
    out.push_back(nullptr);
    return out;
}

int decode(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

// Output goes to temp files, not pipes: a detached container inherits the runtime's stdio and
// would hold a pipe open long after the runtime itself has exited.
Result run(const std::vector<std::string>& argv, int timeout_seconds, int extra_fd) {
    char out_name[] = "/tmp/berth-test-out-XXXXXX";
    char err_name[] = "/tmp/berth-test-err-XXXXXX";
    int out_fd = mkostemp(out_name, O_CLOEXEC);
    int err_fd = mkostemp(err_name, O_CLOEXEC);
    if (out_fd < 0 || err_fd < 0) throw std::runtime_error("mkostemp failed");
    unlink(out_name);
    unlink(err_name);
    auto args = c_argv(argv);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out_fd, 1);
        dup2(err_fd, 2);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        if (extra_fd >= 0) fcntl(extra_fd, F_SETFD, 0);
        execv(args[0], args.data());
        _exit(127);
    }
    Result result;
    result.exit_code = wait_exit(pid, timeout_seconds);
    auto slurp = [](int fd) {
        std::string text;
        char buf[4096];
        ssize_t n;
        off_t offset = 0;
        while ((n = pread(fd, buf, sizeof buf, offset)) > 0) {
            text.append(buf, static_cast<size_t>(n));
            offset += n;
        }
        close(fd);
        return text;
    };
    result.out = slurp(out_fd);
    result.err = slurp(err_fd);
    return result;
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& out_file) {
    auto args = c_argv(argv);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        execv(args[0], args.data());
        _exit(127);
    }
    return pid;
}

int wait_exit(pid_t pid, int timeout_seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    int status;
    while (std::chrono::steady_clock::now() < deadline) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) return decode(status);
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

}  // namespace berth::test
