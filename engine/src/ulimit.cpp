#include "berth/engine/ulimit.h"

#include <algorithm>
#include <array>
#include <limits>

#include "berth/error.h"

namespace berth::engine {
namespace {

// The names docker accepts (its units/ulimit.go list), each an RLIMIT_<UPPER>.
constexpr std::array<const char*, 16> kNames = {
    "as",   "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue",
    "nice", "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};

int64_t limit_value(const std::string& text, const std::string& whole) {
    if (text == "-1" || text == "unlimited") return -1;
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
        throw Error("invalid --ulimit " + whole + ": '" + text +
                    "' is not a number (or -1 for unlimited)");
    try {
        return std::stoll(text);
    } catch (const std::exception&) {
        throw Error("invalid --ulimit " + whole + ": '" + text + "' is too large");
    }
}

uint64_t oci_value(int64_t value) {
    return value < 0 ? std::numeric_limits<uint64_t>::max() : static_cast<uint64_t>(value);
}

}  // namespace

Ulimit parse_ulimit(const std::string& text) {
    size_t equals = text.find('=');
    if (equals == std::string::npos || equals == 0)
        throw Error("invalid --ulimit " + text + ": use NAME=SOFT[:HARD], e.g. nofile=1024:2048");
    Ulimit u;
    u.name = text.substr(0, equals);
    if (std::find_if(kNames.begin(), kNames.end(), [&](const char* n) { return u.name == n; }) ==
        kNames.end())
        throw Error("invalid --ulimit " + text + ": unknown resource '" + u.name +
                    "' (nofile, nproc, core, memlock, stack, ...)");
    std::string values = text.substr(equals + 1);
    size_t colon = values.find(':');
    u.soft = limit_value(values.substr(0, colon), text);
    u.hard = colon == std::string::npos ? u.soft : limit_value(values.substr(colon + 1), text);
    if (oci_value(u.soft) > oci_value(u.hard))
        throw Error("invalid --ulimit " + text + ": the soft limit is above the hard limit");
    return u;
}

nlohmann::json rlimit_json(const Ulimit& ulimit) {
    std::string type = "RLIMIT_";
    for (char c : ulimit.name) type += static_cast<char>(c - 'a' + 'A');
    return {{"type", type}, {"soft", oci_value(ulimit.soft)}, {"hard", oci_value(ulimit.hard)}};
}

}  // namespace berth::engine
