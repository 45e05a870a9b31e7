// linux.seccomp as plain data, validated by the parser: the filter code only turns it into BPF
// and never has to report a malformed config.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::runtime {

// SCMP_ACT_NOTIFY is refused by the parser (no seccomp agent support), so it has no value here.
enum class SeccompAction { kill_thread, kill_process, trap, errno_ret, trace, allow, log };

enum class SeccompOp { ne, lt, le, eq, ge, gt, masked_eq };

struct SeccompArg {
    unsigned index = 0;  // 0..5
    uint64_t value = 0;
    uint64_t value_two = 0;  // SCMP_CMP_MASKED_EQ: `value` is the mask, this the expected result
    SeccompOp op = SeccompOp::eq;
};

struct SeccompRule {
    // Only names libseccomp knows: unknown ones are dropped while parsing, as runc and crun do,
    // so profiles listing syscalls newer than this host keep working. May end up empty.
    std::vector<std::string> names;
    SeccompAction action = SeccompAction::allow;
    std::optional<uint32_t> errno_ret;  // ERRNO / TRACE only; unset means EPERM
    std::vector<SeccompArg> args;
};

struct Seccomp {
    SeccompAction default_action = SeccompAction::allow;
    std::optional<uint32_t> default_errno_ret;  // ERRNO / TRACE only; unset means EPERM
    // "SCMP_ARCH_X86_64"... as written, each one known to libseccomp. The native architecture
    // is always in the filter as well.
    std::vector<std::string> architectures;
    bool flag_tsync = false;       // SECCOMP_FILTER_FLAG_TSYNC
    bool flag_log = false;         // SECCOMP_FILTER_FLAG_LOG
    bool flag_spec_allow = false;  // SECCOMP_FILTER_FLAG_SPEC_ALLOW
    // In config.json order, so index i here is linux.seccomp.syscalls[i] in error messages.
    std::vector<SeccompRule> syscalls;
    // The linux.seccomp object as parsed, serialized with sorted keys: identifies the profile
    // for the compiled-filter cache.
    std::string source;
};

}  // namespace berth::runtime
