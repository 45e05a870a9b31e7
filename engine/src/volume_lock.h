// The volume store's flock, directory listing and random names; also clears staging and trash left
// by a process that died half-way (.new-*, .trash-*) when the exclusive lock is first taken.
#pragma once

#include <string>
#include <vector>

#include "berth/fd.h"

namespace berth::engine {

class VolumeLock {
  public:
    // Creates <volumes_dir> (and its parent) 0700 if needed and blocks until the lock is held.
    VolumeLock(const std::string& volumes_dir, bool exclusive);

    // Entry names in volumes_dir, hidden ones (lock, staging, trash) left out.
    static std::vector<std::string> names(const std::string& volumes_dir);

  private:
    UniqueFd fd_;  // closing releases the lock
};

// Lowercase hex of `bytes` random bytes; volume names are docker's 64 hex digits.
std::string random_hex(size_t bytes);
std::string random_volume_name();

}  // namespace berth::engine
