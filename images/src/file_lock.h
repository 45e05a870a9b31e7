// flock(2) on a lock file: serialises berth processes that share one store root.
#pragma once

#include <string>

#include "berth/fd.h"

namespace berth::images {

class FileLock {
  public:
    FileLock() = default;
    // Blocks until the lock is held; the file is created if missing.
    FileLock(const std::string& path, bool exclusive);
    bool held() const { return static_cast<bool>(fd_); }

  private:
    UniqueFd fd_;  // closing the fd releases the lock
};

}  // namespace berth::images
