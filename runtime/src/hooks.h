// OCI hooks: each runs with the container state JSON on stdin, its own args and env, and an
// optional timeout after which it is killed.
#pragma once

#include <string>
#include <vector>

#include "berth/runtime/spec.h"

namespace berth::runtime {

// Runs hooks in order; throws Error naming the stage and the hook on the first failure.
void run_hooks(const std::vector<Hook>& hooks, const char* stage, const std::string& state_json);
// Runs every hook, reporting failures on stderr instead of throwing (poststart, poststop).
void run_hooks_warn(const std::vector<Hook>& hooks, const char* stage,
                    const std::string& state_json);

}  // namespace berth::runtime
