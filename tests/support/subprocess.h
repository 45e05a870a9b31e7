// Running the berth binaries from tests: argv in, exit code + stdout + stderr out.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace berth::test {

struct Result {
    int exit_code = -1;  // 128+N when killed by signal N
    std::string out;
    std::string err;
};

// Runs argv to completion (killed after timeout_seconds). extra_fd, if >= 0, is left open
// (not close-on-exec) in the child at the same number, to test fd leaks.
Result run(const std::vector<std::string>& argv, int timeout_seconds = 60, int extra_fd = -1);

// Starts argv in the background with stdout/stderr to files; returns its pid.
pid_t spawn(const std::vector<std::string>& argv, const std::string& out_file);
// Waits for a spawned child; returns its exit code (128+N for a signal).
int wait_exit(pid_t pid, int timeout_seconds = 60);

}  // namespace berth::test
