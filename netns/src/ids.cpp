#include "ids.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "berth/error.h"
#include "berth/fd.h"

namespace berth::netns::detail {

std::string random_hex(size_t bytes) {
    std::string raw(bytes, '\0');
    UniqueFd fd(::open("/dev/urandom", O_RDONLY | O_CLOEXEC));
    if (!fd || ::read(fd.get(), raw.data(), bytes) != static_cast<ssize_t>(bytes))
        throw_errno("read /dev/urandom");
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : raw) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::string mac_for(Ipv4 ip) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "02:42:%02x:%02x:%02x:%02x", ip.value >> 24,
                  (ip.value >> 16) & 255, (ip.value >> 8) & 255, ip.value & 255);
    return buf;
}

}  // namespace berth::netns::detail
