// docker's -v syntax and the Mounts entry of inspect.
#include <sstream>
#include <vector>

#include "berth/engine/volumes.h"
#include "berth/error.h"

namespace berth::engine {
namespace {

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> out;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, sep)) out.push_back(part);
    if (!text.empty() && text.back() == sep) out.emplace_back();
    return out;
}

bool is_mode_option(const std::string& option) {
    static const char* const known[] = {"ro",      "rw",      "z",        "Z",
                                        "nocopy",  "private", "rprivate", "shared",
                                        "rshared", "slave",   "rslave"};
    for (const char* k : known)
        if (option == k) return true;
    return false;
}

bool is_mode(const std::string& text) {
    for (const std::string& option : split(text, ','))
        if (!is_mode_option(option)) return false;
    return !text.empty();
}

// "/a//b/./c/" -> "/a/b/c". ".." is refused rather than interpreted.
std::string clean_absolute(const std::string& path, const std::string& spec) {
    std::string out;
    for (const std::string& part : split(path, '/')) {
        if (part.empty() || part == ".") continue;
        if (part == "..")
            throw Error("invalid volume specification '" + spec + "': \"..\" in " + path);
        out += "/" + part;
    }
    return out.empty() ? "/" : out;
}

}  // namespace

VolumeSpec parse_volume_spec(const std::string& text) {
    auto invalid = [&](const std::string& why) {
        return Error("invalid volume specification '" + text + "': " + why);
    };
    std::vector<std::string> parts = split(text, ':');
    VolumeSpec spec;
    std::string source, mode;
    switch (parts.size()) {
        case 1:
            spec.destination = parts[0];
            break;
        case 2:
            if (is_mode(parts[1])) {
                spec.destination = parts[0];
                mode = parts[1];
            } else {
                source = parts[0];
                spec.destination = parts[1];
            }
            break;
        case 3:
            source = parts[0];
            spec.destination = parts[1];
            mode = parts[2];
            break;
        default:
            throw invalid("too many colons");
    }
    if (spec.destination.empty() || spec.destination[0] != '/')
        throw invalid("the container path must be absolute");
    spec.destination = clean_absolute(spec.destination, text);
    if (spec.destination == "/") throw invalid("the container path cannot be /");

    if (source.empty()) {
        if (parts.size() == 3) throw invalid("empty source");
        spec.kind = VolumeSpec::Kind::anonymous;
    } else if (source[0] == '/') {
        spec.kind = VolumeSpec::Kind::bind;
        spec.source = clean_absolute(source, text);
    } else if (valid_volume_name(source)) {
        spec.kind = VolumeSpec::Kind::named;
        spec.source = source;
    } else {
        throw invalid("\"" + source +
                      "\" is not a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+) or an absolute host "
                      "path");
    }

    bool saw_ro = false, saw_rw = false;
    if (!mode.empty() || parts.size() == 3) {
        for (const std::string& option : split(mode, ',')) {
            if (!is_mode_option(option)) throw invalid("unknown option \"" + option + "\"");
            if (option == "ro") saw_ro = true;
            if (option == "rw") saw_rw = true;
            if (option == "nocopy") {
                if (spec.kind == VolumeSpec::Kind::bind)
                    throw invalid("nocopy applies to volumes, not to bind mounts");
                spec.nocopy = true;
            }
            // We mount everything rprivate; a user asking for propagation must not be told
            // it happened.
            if (option == "shared" || option == "rshared" || option == "slave" ||
                option == "rslave")
                throw invalid("mount propagation \"" + option + "\" is not supported");
            // z/Z relabel for SELinux, which this host does not run: accepted, nothing to do.
        }
    }
    if (saw_ro && saw_rw) throw invalid("both ro and rw");
    spec.mode = mode;
    spec.read_only = saw_ro;
    return spec;
}

nlohmann::json ResolvedMount::inspect_json() const {
    nlohmann::json j = {{"Type", type}, {"Source", source}, {"Destination", destination}};
    if (type == "volume") {
        j["Name"] = name;
        j["Driver"] = "local";
        j["Mode"] = read_only ? "ro" : "z";  // docker's default mode string for volumes
    } else {
        j["Mode"] = read_only ? "ro" : "";
    }
    j["RW"] = !read_only;
    j["Propagation"] = type == "bind" ? "rprivate" : "";
    return j;
}

}  // namespace berth::engine
