#include "berth/fd.h"

#include <fcntl.h>
#include <unistd.h>

#include "berth/error.h"

namespace berth {

void UniqueFd::reset(int fd) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

Pipe Pipe::create() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace berth
