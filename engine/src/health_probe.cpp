#include "health_probe.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "berth/engine/container.h"
#include "berth/error.h"
#include "berth/runtime/runtime.h"

namespace berth::engine {
namespace {

constexpr size_t kMaxOutput = 4096;  // docker keeps this much of each check's output
constexpr size_t kKeptResults = 5;

std::chrono::nanoseconds ns(int64_t value) {
    return std::chrono::nanoseconds(value);
}

std::string seconds_text(int64_t nanoseconds) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%gs", static_cast<double>(nanoseconds) / 1e9);
    return buf;
}

}  // namespace

void HealthProbe::container_started() {
    stop_check();
    running_ = true;
    state_ = HealthState{};
    container_started_ = Clock::now();
    next_due_ = container_started_ + ns(config_.interval_or_default());
    save_health(store_, id_, state_);
}

void HealthProbe::container_stopped() {
    running_ = false;
    stop_check();
}

int HealthProbe::poll_timeout_ms() const {
    if (!running_) return -1;
    Clock::time_point wake =
        check_pid_ ? check_started_ + ns(config_.timeout_or_default()) : next_due_;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(wake - Clock::now());
    return static_cast<int>(std::clamp<int64_t>(left.count() + 1, 0, 60'000));
}

void HealthProbe::tick() {
    if (!running_) return;
    Clock::time_point now = Clock::now();
    if (check_pid_ && now >= check_started_ + ns(config_.timeout_or_default())) {
        stop_check();
        record(-1, "Health check exceeded timeout (" + seconds_text(config_.timeout_or_default()) +
                       ")");
    }
    if (!check_pid_ && now >= next_due_) start_check();
}

void HealthProbe::start_check() {
    check_started_ = Clock::now();
    check_started_at_ = now_rfc3339_nano();
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        record(-1, std::string("cannot run the health check: pipe: ") + std::strerror(errno));
        return;
    }
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    pid_t child = ::fork();
    if (child < 0) {
        record(-1, std::string("cannot run the health check: fork: ") + std::strerror(errno));
        return;
    }
    if (child == 0) {
        // Its own process group, so the timeout can end everything it started here.
        ::setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::dup2(write_end.get(), STDOUT_FILENO);
        ::dup2(write_end.get(), STDERR_FILENO);
        UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (null) ::dup2(null.get(), STDIN_FILENO);
        // Nothing of the monitor's (client connection, pty master, container pipes) stays open
        // here: a client must see the monitor's end close when the monitor closes it.
        null.release();
        ::close_range(3, ~0U, 0);
        int code = 126;
        try {
            // The runtime library directly, as `berth exec` does without -t: the process joins
            // the container's namespaces, cgroup, capabilities and seccomp profile. (Not the
            // Engine: the static monitor must not pull in the image store's libraries.)
            runtime::ExecOptions options;
            options.args = config_.command();
            code = runtime::Runtime(store_.runtime_root()).exec(id_, options);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%s\n", e.what());
        }
        std::fflush(nullptr);
        ::_exit(code);
    }
    check_pid_ = child;
    output_ = std::move(read_end);
    ::fcntl(output_.get(), F_SETFL, O_NONBLOCK);
    collected_.clear();
}

void HealthProbe::on_output() {
    if (!output_) return;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(output_.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) output_.reset();  // EOF; the exit comes through on_reaped
            return;
        }
        if (collected_.size() < kMaxOutput)
            collected_.append(buf,
                              std::min(static_cast<size_t>(n), kMaxOutput - collected_.size()));
    }
}

bool HealthProbe::on_reaped(pid_t pid, int status) {
    if (pid != check_pid_ || pid == 0) return false;
    check_pid_ = 0;
    on_output();
    output_.reset();
    if (!running_) return true;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    record(code, collected_);
    return true;
}

void HealthProbe::stop_check() {
    if (!check_pid_) return;
    ::kill(-check_pid_, SIGKILL);
    ::kill(check_pid_, SIGKILL);
    int status;
    while (::waitpid(check_pid_, &status, 0) < 0 && errno == EINTR) {
    }
    check_pid_ = 0;
    output_.reset();
}

void HealthProbe::record(int exit_code, const std::string& output) {
    // docker's rhythm: the next check one interval after this one ended.
    next_due_ = Clock::now() + ns(config_.interval_or_default());
    HealthResult result{check_started_at_, now_rfc3339_nano(), exit_code, output};
    state_.log.push_back(result);
    if (state_.log.size() > kKeptResults) state_.log.erase(state_.log.begin());
    if (exit_code == 0) {
        state_.status = "healthy";
        state_.failing_streak = 0;
    } else if (Clock::now() - container_started_ < ns(config_.start_period)) {
        // Still in the start period: a failure is logged but does not count.
    } else if (++state_.failing_streak >= config_.retries_or_default()) {
        state_.status = "unhealthy";
    }
    try {
        save_health(store_, id_, state_);
    } catch (const Error&) {
        // The container directory went away (rm -f); nothing to report to.
    }
}

}  // namespace berth::engine
