// linux.seccomp (config.json) -> Seccomp. Kept apart from spec_parse.cpp because it needs
// libseccomp's name tables to tell known syscalls and architectures from unknown ones.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "berth/runtime/seccomp_spec.h"

namespace berth::runtime {

// Parses the value of linux.seccomp. Throws berth::Error naming the offending field
// ("config.json: linux.seccomp.syscalls[3].action: ..."). Syscall names libseccomp does not
// know are skipped, not errors.
Seccomp parse_seccomp(const nlohmann::json& seccomp);

// "SCMP_ARCH_X86_64" -> libseccomp's token; 0 when libseccomp does not know it.
uint32_t seccomp_arch_token(const std::string& name);

}  // namespace berth::runtime
