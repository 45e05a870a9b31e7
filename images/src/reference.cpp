#include "berth/images/reference.h"

#include <regex>

#include "berth/error.h"

namespace berth::images {

std::string Reference::str() const {
    std::string s = name();
    if (!tag.empty()) s += ":" + tag;
    if (!digest.empty()) s += "@" + digest.str();
    return s;
}

Reference parse_reference(std::string_view text) {
    std::string s(text);
    auto fail = [&](const std::string& why) { throw Error("reference " + s + ": " + why); };
    Reference r;
    std::string rest = s;
    if (size_t at = rest.find('@'); at != std::string::npos) {
        r.digest = Digest::parse(rest.substr(at + 1), "reference " + s + " digest");
        rest.resize(at);
    }
    size_t slash = rest.find('/');
    std::string host = slash == std::string::npos ? "" : rest.substr(0, slash);
    if (host.empty() || (host.find_first_of(".:") == std::string::npos && host != "localhost"))
        fail(
            "no registry in reference (berth has no default registry; write e.g. "
            "127.0.0.1:5000/" +
            rest + ")");
    static const std::regex host_re(
        R"(^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9a-fA-F:]+\](:[0-9]{1,5})?$)");
    if (!std::regex_match(host, host_re)) fail("invalid registry host \"" + host + "\"");
    r.registry = host;
    rest = rest.substr(slash + 1);
    // A ':' after the last '/' starts the tag.
    size_t colon = rest.rfind(':');
    if (colon != std::string::npos && rest.find('/', colon) == std::string::npos) {
        r.tag = rest.substr(colon + 1);
        rest.resize(colon);
        static const std::regex tag_re(R"(^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$)");
        if (!std::regex_match(r.tag, tag_re)) fail("invalid tag \"" + r.tag + "\"");
    }
    static const std::regex repo_re(
        R"(^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$)");
    if (!std::regex_match(rest, repo_re)) fail("invalid repository name \"" + rest + "\"");
    r.repository = rest;
    if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
    return r;
}

}  // namespace berth::images
