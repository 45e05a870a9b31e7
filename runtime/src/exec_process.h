// The last steps before the user's program runs: rlimits, user and groups, capabilities,
// no_new_privs, umask, cwd (verified inside the root), fds, seccomp, execve.
#pragma once

#include "berth/runtime/spec.h"
#include "seccomp_filter.h"

namespace berth::runtime {

// Steps that need full privileges and must happen before the user switch.
void apply_rlimits(const Process& process);
// Switches user, sets capabilities, no_new_privs, umask and cwd, marks every fd >=
// first_fd_to_close close-on-exec, installs `seccomp` (may be null) and executes process.args.
// Returns only by throwing; the Error's errno is the execve failure when the program itself could
// not be run.
[[noreturn]] void exec_user_process(const Process& process, const SeccompFilter* seccomp,
                                    int first_fd_to_close);

}  // namespace berth::runtime
