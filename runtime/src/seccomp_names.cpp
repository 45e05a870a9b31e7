#include "seccomp_names.h"

#include "seccomp_parse.h"

namespace berth::runtime {

std::span<const std::pair<const char*, SeccompAction>> seccomp_action_names() {
    static const std::pair<const char*, SeccompAction> table[] = {
        {"SCMP_ACT_KILL", SeccompAction::kill_thread},
        {"SCMP_ACT_KILL_PROCESS", SeccompAction::kill_process},
        {"SCMP_ACT_KILL_THREAD", SeccompAction::kill_thread},
        {"SCMP_ACT_TRAP", SeccompAction::trap},
        {"SCMP_ACT_ERRNO", SeccompAction::errno_ret},
        {"SCMP_ACT_TRACE", SeccompAction::trace},
        {"SCMP_ACT_ALLOW", SeccompAction::allow},
        {"SCMP_ACT_LOG", SeccompAction::log},
    };
    return table;
}

std::span<const std::pair<const char*, SeccompOp>> seccomp_op_names() {
    static const std::pair<const char*, SeccompOp> table[] = {
        {"SCMP_CMP_NE", SeccompOp::ne},
        {"SCMP_CMP_LT", SeccompOp::lt},
        {"SCMP_CMP_LE", SeccompOp::le},
        {"SCMP_CMP_EQ", SeccompOp::eq},
        {"SCMP_CMP_GE", SeccompOp::ge},
        {"SCMP_CMP_GT", SeccompOp::gt},
        {"SCMP_CMP_MASKED_EQ", SeccompOp::masked_eq},
    };
    return table;
}

std::span<const char* const> seccomp_arch_names() {
    static const char* const names[] = {
        "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
        "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
        "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
        "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
        "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
        "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",
    };
    return names;
}

std::span<const char* const> seccomp_known_flags() {
    static const char* const names[] = {
        "SECCOMP_FILTER_FLAG_TSYNC",
        "SECCOMP_FILTER_FLAG_LOG",
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    };
    return names;
}

std::span<const char* const> seccomp_supported_flags() {
    // WAIT_KILLABLE_RECV only changes how a notify listener waits, and SCMP_ACT_NOTIFY is not
    // supported (libseccomp 2.5 cannot set it either).
    return seccomp_known_flags().first(3);
}

nlohmann::json seccomp_features() {
    nlohmann::json actions = nlohmann::json::array(), ops = nlohmann::json::array(),
                   archs = nlohmann::json::array();
    for (const auto& [name, action] : seccomp_action_names()) actions.push_back(name);
    for (const auto& [name, op] : seccomp_op_names()) ops.push_back(name);
    for (const char* name : seccomp_arch_names())
        if (seccomp_arch_token(name) != 0) archs.push_back(name);
    return {{"enabled", true},
            {"actions", actions},
            {"operators", ops},
            {"archs", archs},
            {"knownFlags", seccomp_known_flags()},
            {"supportedFlags", seccomp_supported_flags()}};
}

}  // namespace berth::runtime
