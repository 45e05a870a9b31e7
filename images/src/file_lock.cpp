#include "file_lock.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "berth/error.h"

namespace berth::images {

FileLock::FileLock(const std::string& path, bool exclusive)
    : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) {
    if (!fd_) throw_errno("open lock file " + path);
    while (::flock(fd_.get(), exclusive ? LOCK_EX : LOCK_SH) != 0) {
        if (errno == EINTR) continue;
        throw_errno("flock " + path);
    }
}

}  // namespace berth::images
