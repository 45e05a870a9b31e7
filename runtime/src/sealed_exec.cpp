// CVE-2019-5736 defence: the process that enters a container must not be backed by the runtime
// binary on the host, or a container could open /proc/<pid>/exe and rewrite it. We copy the
// binary once into a memfd, seal it against writes and re-execute from it.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth/error.h"
#include "berth/fd.h"
#include "berth/runtime/runtime.h"

namespace berth::runtime {
namespace {

constexpr int kRequiredSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

bool already_sealed(int exe_fd) {
    int seals = ::fcntl(exe_fd, F_GET_SEALS);
    return seals >= 0 && (seals & kRequiredSeals) == kRequiredSeals;
}

}  // namespace

void ensure_running_from_sealed_copy(int /*argc*/, char** argv) {
    UniqueFd exe(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    if (!exe) throw_errno("open /proc/self/exe");
    if (already_sealed(exe.get())) return;

    struct stat st;
    if (::fstat(exe.get(), &st) != 0) throw_errno("stat /proc/self/exe");
    UniqueFd copy(::memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!copy) throw_errno("memfd_create for sealed runtime copy");
    off_t offset = 0;
    while (offset < st.st_size) {
        ssize_t n =
            ::sendfile(copy.get(), exe.get(), &offset, static_cast<size_t>(st.st_size - offset));
        if (n <= 0) throw_errno("copy runtime binary into memfd");
    }
    if (::fcntl(copy.get(), F_ADD_SEALS, kRequiredSeals) != 0) throw_errno("seal runtime copy");
    ::fexecve(copy.get(), argv, environ);
    throw_errno("re-exec sealed runtime copy");
}

}  // namespace berth::runtime
