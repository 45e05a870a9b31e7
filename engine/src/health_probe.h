// The monitor's side of health checks: when a check is due it forks a child that runs the
// check's command in the container (exec_in_container, output to a pipe), kills it at the
// timeout, and turns each result into the container's HealthState (health.json).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include "berth/engine/container_store.h"
#include "berth/engine/health.h"
#include "berth/fd.h"

namespace berth::engine {

class HealthProbe {
  public:
    using Clock = std::chrono::steady_clock;

    HealthProbe(const ContainerStore& store, std::string id, HealthConfig config)
        : store_(store), id_(std::move(id)), config_(std::move(config)) {}
    ~HealthProbe() { stop_check(); }
    HealthProbe(const HealthProbe&) = delete;
    HealthProbe& operator=(const HealthProbe&) = delete;

    // The container (re)started: "starting" again, the first check one interval from now.
    void container_started();
    // It exited: a check in flight is killed and not counted; the last state stays readable.
    void container_stopped();

    // How long the monitor may sleep before tick() has something to do.
    int poll_timeout_ms() const;
    // Starts a check that is due, ends one that ran past its timeout.
    void tick();
    // The running check's output pipe (-1 when none) and reading it.
    int output_fd() const { return output_ ? output_.get() : -1; }
    void on_output();
    // A reaped child: true when it was the check (then its result is recorded).
    bool on_reaped(pid_t pid, int status);

  private:
    void start_check();
    void stop_check();
    void record(int exit_code, const std::string& output);

    const ContainerStore& store_;
    std::string id_;
    HealthConfig config_;
    HealthState state_;
    Clock::time_point container_started_, next_due_, check_started_;
    std::string check_started_at_;  // RFC 3339
    pid_t check_pid_ = 0;
    UniqueFd output_;
    std::string collected_;
    bool running_ = false;
};

}  // namespace berth::engine
