// Foreground `run` and `exec`: while the runtime waits for its child, the signals it receives
// are passed on to the child, and the child's status becomes the exit code.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "berth/fd.h"

namespace berth::runtime {

class SignalForwarder {
  public:
    // Blocks the forwarded signals and SIGCHLD; construct before forking the child so no signal
    // is lost in between (the child must unblock them itself).
    SignalForwarder();
    ~SignalForwarder();
    SignalForwarder(const SignalForwarder&) = delete;
    SignalForwarder& operator=(const SignalForwarder&) = delete;

    // Waits for `child`, forwarding signals; returns its exit code, 128+N for signal N.
    int wait(pid_t child);

  private:
    sigset_t old_mask_;
    UniqueFd signal_fd_;
};

int exit_code_of(int wait_status);

}  // namespace berth::runtime
