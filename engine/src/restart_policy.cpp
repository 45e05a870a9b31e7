#include "restart_policy.h"

#include <algorithm>

namespace berth::engine {

bool restart_wanted(const RestartPolicy& p, int code, int restarts) {
    if (p.name == "always" || p.name == "unless-stopped") return true;
    if (p.name == "on-failure")
        return code != 0 && (p.maximum_retry_count == 0 || restarts < p.maximum_retry_count);
    return false;
}

std::chrono::milliseconds Backoff::next(std::chrono::steady_clock::duration last_run) {
    using std::chrono::milliseconds;
    if (delay_.count() == 0 || last_run >= std::chrono::seconds(10))
        delay_ = milliseconds(100);
    else
        delay_ = std::min(delay_ * 2, milliseconds(10000));
    return delay_;
}

}  // namespace berth::engine
