#include "berth/error.h"

#include <cerrno>
#include <cstring>

namespace berth {

std::string describe_errno(int errno_value) {
    const char* name = strerrorname_np(errno_value);
    std::string text = name ? name : "errno " + std::to_string(errno_value);
    return text + " (" + strerror(errno_value) + ")";
}

void throw_errno(std::string_view what) {
    throw_errno(what, errno);
}

void throw_errno(std::string_view what, int errno_value) {
    throw Error(std::string(what) + ": " + describe_errno(errno_value), errno_value);
}

}  // namespace berth
