#include "network_setup.h"

#include <sstream>

#include "berth/error.h"
#include "berth/file_io.h"

namespace berth::engine {
namespace {

std::string container_hostname(const ContainerRecord& r) {
    return r.config.hostname.empty() ? r.id.substr(0, 12) : r.config.hostname;
}

// The host's resolv.conf without loopback nameservers, which mean nothing in another netns
// (docker's rule); in `none` there is no route anywhere, so only search/options are kept.
std::string filtered_resolv_conf(bool keep_nameservers) {
    std::string host;
    try {
        host = read_file("/etc/resolv.conf");
    } catch (const Error&) {
    }
    std::istringstream in(host);
    std::string line, out;
    while (std::getline(in, line)) {
        bool nameserver = line.rfind("nameserver", 0) == 0;
        if (nameserver && (!keep_nameservers || line.find("127.") != std::string::npos ||
                           line.find("::1") != std::string::npos))
            continue;
        if (nameserver || line.rfind("search", 0) == 0 || line.rfind("options", 0) == 0)
            out += line + "\n";
    }
    return out;
}

}  // namespace

void validate_network_mode(const std::string& mode) {
    if (mode == "none" || mode == "host") return;
    throw Error("network \"" + mode + "\" not found: only none and host exist so far");
}

NetworkAttachment setup_network(const ContainerStore&, const ContainerRecord& record) {
    NetworkAttachment a;
    const std::string& mode = record.host_config.network_mode;
    validate_network_mode(mode);
    a.hostname = container_hostname(record) + "\n";
    if (mode == "host") {
        a.host = true;
        try {
            a.hosts = read_file("/etc/hosts");
        } catch (const Error&) {
            a.hosts = "127.0.0.1\tlocalhost\n";
        }
        try {
            a.resolv_conf = read_file("/etc/resolv.conf");
        } catch (const Error&) {
        }
    } else {
        a.hosts =
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
            "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
            "ff02::2\tip6-allrouters\n";
        a.resolv_conf = filtered_resolv_conf(false);
    }
    a.settings = idle_network_settings(record);
    return a;
}

void teardown_network(const ContainerStore&, const ContainerRecord&) {}

nlohmann::json idle_network_settings(const ContainerRecord& record) {
    const std::string& mode = record.host_config.network_mode;
    return {{"Bridge", ""},
            {"SandboxID", ""},
            {"SandboxKey", ""},
            {"Ports", nlohmann::json::object()},
            {"IPAddress", ""},
            {"Gateway", ""},
            {"MacAddress", ""},
            {"Networks",
             {{mode,
               {{"NetworkID", mode},
                {"IPAddress", ""},
                {"Gateway", ""},
                {"MacAddress", ""},
                {"Aliases", nullptr}}}}}};
}

}  // namespace berth::engine
