#include "mounts.h"

#include <sys/stat.h>

#include <filesystem>

#include "berth/error.h"

namespace berth::engine {
namespace {

void check_destination(const std::string& dest, const std::string& flag) {
    if (dest.empty() || dest[0] != '/')
        throw Error("invalid " + flag + ": the container path \"" + dest + "\" must be absolute");
    if (dest == "/") throw Error("invalid " + flag + ": cannot mount over /");
    for (size_t start = 1; start <= dest.size();) {
        size_t slash = dest.find('/', start);
        if (dest.substr(start, slash - start) == "..")
            throw Error("invalid " + flag + ": \"..\" in the container path " + dest);
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
}

}  // namespace

MountPoint parse_tmpfs_flag(const std::string& text, std::string& options) {
    size_t colon = text.find(':');
    MountPoint m;
    m.type = "tmpfs";
    m.destination = text.substr(0, colon);
    options = colon == std::string::npos ? "" : text.substr(colon + 1);
    check_destination(m.destination, "--tmpfs " + text);
    return m;
}

}  // namespace berth::engine
