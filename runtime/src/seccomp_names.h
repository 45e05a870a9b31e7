// The names config.json uses for seccomp actions, operators, architectures and flags, in one
// place for the parser and for `features`, so the two cannot disagree.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <utility>

#include "berth/runtime/seccomp_spec.h"

namespace berth::runtime {

// Every action berth-runtime implements (SCMP_ACT_NOTIFY is not among them).
std::span<const std::pair<const char*, SeccompAction>> seccomp_action_names();
std::span<const std::pair<const char*, SeccompOp>> seccomp_op_names();
// Every architecture the runtime spec names; seccomp_arch_token() tells which ones the linked
// libseccomp knows.
std::span<const char* const> seccomp_arch_names();
// The seccomp(2) flags the runtime spec names, and those berth-runtime can apply.
std::span<const char* const> seccomp_known_flags();
std::span<const char* const> seccomp_supported_flags();

// linux.seccomp of `features`, shaped like runc's.
nlohmann::json seccomp_features();

}  // namespace berth::runtime
