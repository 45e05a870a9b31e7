// The restart policy decision and docker's backoff, apart from the monitor's process work.
#pragma once

#include <chrono>

#include "berth/engine/container.h"

namespace berth::engine {

// After an exit with `code` and `restarts` restarts so far (a user's stop is checked by the
// caller): on-failure restarts non-zero exits up to its count (0: no limit), always and
// unless-stopped always, no never.
bool restart_wanted(const RestartPolicy& policy, int code, int restarts);

// docker's: 100 ms, doubling, capped at 10 s here; back to 100 ms after a run of 10 s.
class Backoff {
  public:
    std::chrono::milliseconds next(std::chrono::steady_clock::duration last_run);

  private:
    std::chrono::milliseconds delay_{0};
};

}  // namespace berth::engine
