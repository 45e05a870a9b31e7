// One error type for all of berth: a message that says what was being done and to what,
// plus the errno that caused it (0 when the failure was not a system call).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace berth {

class Error : public std::runtime_error {
  public:
    explicit Error(const std::string& message, int errno_value = 0)
        : std::runtime_error(message), errno_(errno_value) {}
    int errno_value() const noexcept { return errno_; }

  private:
    int errno_;
};

// "EPERM (Operation not permitted)"
std::string describe_errno(int errno_value);

// Throws Error("<what>: EPERM (Operation not permitted)") using the current errno.
[[noreturn]] void throw_errno(std::string_view what);
[[noreturn]] void throw_errno(std::string_view what, int errno_value);

}  // namespace berth
