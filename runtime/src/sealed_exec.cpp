// CVE-2019-5736 defence: the process that enters a container must not be backed by a writable
// runtime binary, or a container could open /proc/<pid>/exe and rewrite the host's copy.
//
// First choice (as crun does, without its temp file): re-execute through a detached, read-only
// bind mount of our own binary. Opening /proc/<pid>/exe for writing then resolves into that
// mount and fails with EROFS, and nothing is copied. Fallback: a sealed memfd copy.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "berth/error.h"
#include "berth/fd.h"
#include "berth/runtime/runtime.h"

namespace berth::runtime {
namespace {

constexpr int kRequiredSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

// Running from a sealed memfd, or from a read-only mount (ours, or a read-only install).
bool already_protected(int exe_fd) {
    int seals = ::fcntl(exe_fd, F_GET_SEALS);
    if (seals >= 0 && (seals & kRequiredSeals) == kRequiredSeals) return true;
    struct statvfs vfs;
    return ::fstatvfs(exe_fd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY);
}

void exec_fd(int fd, char** argv) {
    ::syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
}

// Returns only if the kernel refused (then the memfd copy is used).
void exec_through_readonly_mount(char** argv) {
    UniqueFd tree(::open_tree(AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
    if (!tree) return;
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) return;
    exec_fd(tree.get(), argv);
}

void exec_sealed_memfd_copy(int exe_fd, char** argv) {
    struct stat st;
    if (::fstat(exe_fd, &st) != 0) throw_errno("stat /proc/self/exe");
    UniqueFd copy(::memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!copy) throw_errno("memfd_create for sealed runtime copy");
    off_t offset = 0;
    while (offset < st.st_size) {
        ssize_t n = ::sendfile(copy.get(), exe_fd, &offset, static_cast<size_t>(st.st_size - offset));
        if (n <= 0) throw_errno("copy runtime binary into memfd");
    }
    if (::fcntl(copy.get(), F_ADD_SEALS, kRequiredSeals) != 0) throw_errno("seal runtime copy");
    exec_fd(copy.get(), argv);
    throw_errno("re-exec sealed runtime copy");
}

}  // namespace

void ensure_running_from_sealed_copy(int /*argc*/, char** argv) {
    UniqueFd exe(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    if (!exe) throw_errno("open /proc/self/exe");
    if (already_protected(exe.get())) return;
    exec_through_readonly_mount(argv);
    exec_sealed_memfd_copy(exe.get(), argv);
}

}  // namespace berth::runtime
