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

bool is_volume_name(const std::string& s) {
    if (s.empty() || !std::isalnum(static_cast<unsigned char>(s[0]))) return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-')
            return false;
    return true;
}

}  // namespace

MountPoint parse_volume_flag(const ContainerStore& store, const std::string& text) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        size_t colon = text.find(':', start);
        parts.push_back(text.substr(start, colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    std::string flag = "-v " + text;
    if (parts.size() > 3 || parts[0].empty())
        throw Error("invalid " + flag + ": use HOST:CONTAINER[:ro|rw] or VOLUME:CONTAINER[:ro|rw]");
    MountPoint m;
    if (parts.size() == 1) {
        check_destination(parts[0], flag);
        throw Error("invalid " + flag + ": anonymous volumes are not supported; name one (NAME:" +
                    parts[0] + ")");
    }
    m.destination = parts[1];
    check_destination(m.destination, flag);
    if (parts.size() == 3) {
        if (parts[2] != "ro" && parts[2] != "rw")
            throw Error("invalid " + flag + ": mode \"" + parts[2] + "\" (use ro or rw)");
        m.rw = parts[2] == "rw";
        m.mode = parts[2];
    }
    if (parts[0][0] == '/') {
        m.type = "bind";
        m.source = std::filesystem::path(parts[0]).lexically_normal().string();
        struct stat st;
        if (::stat(m.source.c_str(), &st) != 0) {
            std::error_code ec;
            std::filesystem::create_directories(m.source, ec);
            if (ec) throw Error("invalid " + flag + ": create " + m.source + ": " + ec.message());
        }
    } else if (is_volume_name(parts[0])) {
        m.type = "volume";
        m.name = parts[0];
        m.source = resolve_named_volume(store, m.name);
    } else {
        throw Error("invalid " + flag + ": \"" + parts[0] +
                    "\" is neither an absolute host path nor a volume name");
    }
    return m;
}

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
