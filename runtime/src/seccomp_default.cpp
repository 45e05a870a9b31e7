// Docker's default seccomp profile (moby profiles/seccomp/default.json), resolved the way
// Docker resolves it for its 14 default capabilities: the rules moby only "includes" for
// CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_SYS_MODULE... are left out, the ones it "excludes" for
// CAP_SYS_ADMIN are kept, chroot is in (CAP_SYS_CHROOT is a default capability). Whatever is not
// listed fails with EPERM. Syscalls this host's libseccomp does not know are skipped by the
// parser, as Docker (runc) does.
#include "seccomp_default.h"

#include <string>
#include <vector>

namespace berth::runtime {
namespace {

using nlohmann::ordered_json;

// moby's unconditional allowlist.
const std::vector<std::string>& allowed_syscalls() {
    // Packed, not one name per line (360 lines).
    // clang-format off
    static const std::vector<std::string> names = {
        "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget",
        "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
        "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64",
        "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range", "connect",
        "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1",
        "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old",
        "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
        "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod",
        "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync",
        "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64",
        "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
        "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat",
        "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid",
        "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername",
        "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid",
        "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage",
        "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday",
        "getuid", "getuid32", "getxattr", "getxattrat", "inotify_add_watch", "inotify_init",
        "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents",
        "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup",
        "io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
        "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen",
        "listmount", "listxattr", "listxattrat", "llistxattr", "_llseek", "lremovexattr", "lseek",
        "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack", "membarrier",
        "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock",
        "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
        "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
        "mq_unlink", "mremap", "mseal", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
        "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect",
        "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
        "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
        "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
        "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
        "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
        "remap_file_pages", "removexattr", "removexattrat", "rename", "renameat", "renameat2",
        "restart_syscall", "riscv_hwprobe", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
        "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
        "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
        "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
        "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
        "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
        "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile",
        "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid",
        "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid",
        "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
        "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
        "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr",
        "setxattrat", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd",
        "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat",
        "stat64", "statfs", "statfs64", "statmount", "statx", "symlink", "symlinkat", "sync",
        "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
        "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
        "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
        "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
        "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "uretprobe", "utime", "utimensat",
        "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
        "writev",
        // moby: "minKernel": "4.8" (berth-runtime needs a far newer kernel for the mount API).
        "process_vm_readv", "process_vm_writev", "ptrace",
        // moby: included for CAP_SYS_CHROOT, one of the default capabilities.
        "chroot",
    };
    // clang-format on
    return names;
}

// The address families socket(2) may create: moby's allowlist. The rest (AF_DECnet 12,
// AF_ECONET 19, AF_ATMSVC 20, AF_IRDA 23, AF_WANPIPE 25, AF_ISDN 34, AF_CAIF 37, AF_ALG 38,
// AF_VSOCK 40 and anything newer than AF_MCTP 45) are rarely used code paths with a record of
// kernel bugs.
const std::vector<unsigned> extra_socket_families = {13, 14, 15, 16, 17, 18, 21, 22, 24,
                                                     26, 27, 28, 29, 30, 31, 32, 33, 35,
                                                     36, 39, 41, 42, 43, 44, 45};
constexpr unsigned kFirstBlockedFamily = 12;  // everything below (AF_UNIX, AF_INET...) is fine

// personality(2): PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32 and the query 0xffffffff.
const std::vector<uint64_t> personalities = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

// clone(2) flags that create namespaces (CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|
// NEWNET): creating namespaces needs CAP_SYS_ADMIN, which the default capabilities lack.
constexpr uint64_t kNamespaceCloneFlags = 0x7E020000;
constexpr unsigned kENOSYS = 38;

ordered_json rule(const std::vector<std::string>& names, const char* action) {
    return {{"names", names}, {"action", action}};
}

ordered_json arg(unsigned index, uint64_t value, const char* op) {
    return {{"index", index}, {"value", value}, {"op", op}};
}

ordered_json architectures() {
#if defined(__x86_64__)
    return {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
#elif defined(__aarch64__)
    return {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
#else
    return ordered_json::array();  // the native architecture only
#endif
}

}  // namespace

ordered_json default_seccomp_profile() {
    ordered_json syscalls = ordered_json::array();
    syscalls.push_back(rule(allowed_syscalls(), "SCMP_ACT_ALLOW"));
    ordered_json socket = rule({"socket"}, "SCMP_ACT_ALLOW");
    socket["args"] = ordered_json::array({arg(0, kFirstBlockedFamily, "SCMP_CMP_LT")});
    syscalls.push_back(socket);
    for (unsigned family : extra_socket_families) {
        socket["args"] = ordered_json::array({arg(0, family, "SCMP_CMP_EQ")});
        syscalls.push_back(socket);
    }
    ordered_json personality = rule({"personality"}, "SCMP_ACT_ALLOW");
    for (uint64_t persona : personalities) {
        personality["args"] = ordered_json::array({arg(0, persona, "SCMP_CMP_EQ")});
        syscalls.push_back(personality);
    }
    // moby: x86 only; other architectures do not have them and the filter ignores them there.
    syscalls.push_back(rule({"arch_prctl", "modify_ldt"}, "SCMP_ACT_ALLOW"));
    // MASKED_EQ: (flags & value) == valueTwo, i.e. no namespace flag set.
    ordered_json clone = rule({"clone"}, "SCMP_ACT_ALLOW");
    clone["args"] = ordered_json::array({arg(0, kNamespaceCloneFlags, "SCMP_CMP_MASKED_EQ")});
    syscalls.push_back(clone);
    // clone3 passes its flags in memory a filter cannot read; ENOSYS makes glibc fall back to
    // clone, whose flags are checked above.
    ordered_json clone3 = rule({"clone3"}, "SCMP_ACT_ERRNO");
    clone3["errnoRet"] = kENOSYS;
    syscalls.push_back(clone3);
    return {{"defaultAction", "SCMP_ACT_ERRNO"},
            {"defaultErrnoRet", 1},  // EPERM
            {"architectures", architectures()},
            {"syscalls", syscalls}};
}

}  // namespace berth::runtime
