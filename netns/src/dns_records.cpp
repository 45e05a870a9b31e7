// The record-file contract (dns_records.h): parse, validate, render, write atomically.
#include "berth/netns/dns_records.h"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "berth/error.h"
#include "berth/file_io.h"
#include "berth/netns/dns_message.h"

namespace berth::netns {

namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& origin, const std::string& field,
                      const std::string& what) {
    throw Error("dns records " + origin + ": " + field + ": " + what);
}

bool is_ipv4(const std::string& text) {
    in_addr addr{};
    return inet_pton(AF_INET, text.c_str(), &addr) == 1;
}

// "IP" or "IP:PORT" with a port in 1..65535.
bool is_ipv4_upstream(const std::string& text) {
    auto colon = text.find(':');
    if (colon == std::string::npos) return is_ipv4(text);
    std::string port = text.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos)
        return false;
    int value = std::stoi(port);
    return value >= 1 && value <= 65535 && is_ipv4(text.substr(0, colon));
}

std::string checked_name(const json& value, const std::string& origin, const std::string& field) {
    if (!value.is_string()) bad(origin, field, "must be a string");
    std::string name = value.get<std::string>();
    std::string wire;
    if (name.empty() || name == "." || !dns::encode_name(name, wire) || wire.size() > 254)
        bad(origin, field,
            "not a DNS name (labels of 1-63 letters, digits, '-', '_'; 253 characters at most): '" +
                name + "'");
    if (name.back() == '.') name.pop_back();
    return name;
}

std::vector<std::string> string_list(const json& object, const char* key,
                                     const std::string& origin) {
    std::vector<std::string> out;
    if (!object.contains(key) || object[key].is_null()) return out;
    const json& list = object[key];
    if (!list.is_array()) bad(origin, key, "must be an array of strings");
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (!list[i].is_string())
            bad(origin, std::string(key) + "[" + std::to_string(i) + "]", "must be a string");
        out.push_back(list[i].get<std::string>());
    }
    return out;
}

void validate(const DnsNetworkFile& file, const std::string& origin) {
    if (file.listen.empty()) bad(origin, "listen", "at least one IPv4 address is required");
    for (std::size_t i = 0; i < file.listen.size(); ++i)
        if (!is_ipv4(file.listen[i]))
            bad(origin, "listen[" + std::to_string(i) + "]",
                "not an IPv4 address: '" + file.listen[i] + "'");
    for (std::size_t i = 0; i < file.upstreams.size(); ++i)
        if (!is_ipv4_upstream(file.upstreams[i]))
            bad(origin, "upstreams[" + std::to_string(i) + "]",
                "not IPv4 or IPv4:PORT: '" + file.upstreams[i] + "'");
    if (!file.domain.empty()) checked_name(file.domain, origin, "domain");
    for (std::size_t i = 0; i < file.records.size(); ++i) {
        const DnsRecord& r = file.records[i];
        std::string at = "records[" + std::to_string(i) + "]";
        checked_name(r.name, origin, at + ".name");
        for (std::size_t j = 0; j < r.aliases.size(); ++j)
            checked_name(r.aliases[j], origin, at + ".aliases[" + std::to_string(j) + "]");
        if (!is_ipv4(r.ipv4)) bad(origin, at + ".ipv4", "not an IPv4 address: '" + r.ipv4 + "'");
        for (std::size_t j = 0; j < r.upstreams.size(); ++j)
            if (!is_ipv4_upstream(r.upstreams[j]))
                bad(origin, at + ".upstreams[" + std::to_string(j) + "]",
                    "not IPv4 or IPv4:PORT: '" + r.upstreams[j] + "'");
    }
}

}  // namespace

DnsNetworkFile parse_dns_network_file(std::string_view json_text, const std::string& origin) {
    json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) throw Error("dns records " + origin + ": not valid JSON");
    if (!doc.is_object()) throw Error("dns records " + origin + ": must be a JSON object");
    DnsNetworkFile file;
    file.listen = string_list(doc, "listen", origin);
    file.upstreams = string_list(doc, "upstreams", origin);
    if (doc.contains("domain") && !doc["domain"].is_null()) {
        if (!doc["domain"].is_string()) bad(origin, "domain", "must be a string");
        file.domain = doc["domain"].get<std::string>();
        if (!file.domain.empty() && file.domain.back() == '.') file.domain.pop_back();
    }
    if (doc.contains("records") && !doc["records"].is_null()) {
        const json& records = doc["records"];
        if (!records.is_array()) bad(origin, "records", "must be an array of objects");
        for (std::size_t i = 0; i < records.size(); ++i) {
            std::string at = "records[" + std::to_string(i) + "]";
            const json& r = records[i];
            if (!r.is_object()) bad(origin, at, "must be an object");
            DnsRecord record;
            if (!r.contains("name")) bad(origin, at + ".name", "is required");
            record.name = checked_name(r["name"], origin, at + ".name");
            std::vector<std::string> aliases = string_list(r, "aliases", origin + " " + at);
            for (auto& alias : aliases)
                record.aliases.push_back(checked_name(alias, origin, at + ".aliases"));
            if (!r.contains("ipv4") || !r["ipv4"].is_string())
                bad(origin, at + ".ipv4", "is required (a string)");
            record.ipv4 = r["ipv4"].get<std::string>();
            if (r.contains("container") && !r["container"].is_null()) {
                if (!r["container"].is_string()) bad(origin, at + ".container", "must be a string");
                record.container = r["container"].get<std::string>();
            }
            record.upstreams = string_list(r, "upstreams", origin + " " + at);
            file.records.push_back(std::move(record));
        }
    }
    validate(file, origin);
    return file;
}

std::string render_dns_network_file(const DnsNetworkFile& file) {
    json doc;
    doc["listen"] = file.listen;
    if (!file.domain.empty()) doc["domain"] = file.domain;
    doc["records"] = json::array();
    for (const DnsRecord& r : file.records) {
        json record = {{"name", r.name}, {"aliases", r.aliases}, {"ipv4", r.ipv4}};
        if (!r.container.empty()) record["container"] = r.container;
        if (!r.upstreams.empty()) record["upstreams"] = r.upstreams;
        doc["records"].push_back(std::move(record));
    }
    doc["upstreams"] = file.upstreams;
    return doc.dump(2) + "\n";
}

bool is_valid_dns_network_name(std::string_view network) {
    return !network.empty() && network.size() <= 200 && network.front() != '.' &&
           network.find('/') == std::string_view::npos &&
           network.find('\0') == std::string_view::npos;
}

void write_dns_network_file(const std::string& dir, const std::string& network,
                            const DnsNetworkFile& file) {
    if (!is_valid_dns_network_name(network))
        throw Error("dns records: invalid network name for a file: '" + network + "'");
    validate(file, network + ".json");
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("mkdir " + dir);
    // write_file_atomic's temp name starts with the target name; berth-dns ignores it because
    // it does not end in ".json" and reloads on the rename (IN_MOVED_TO).
    write_file_atomic(dir + "/" + network + ".json", render_dns_network_file(file), 0644);
}

void remove_dns_network_file(const std::string& dir, const std::string& network) {
    if (!is_valid_dns_network_name(network))
        throw Error("dns records: invalid network name for a file: '" + network + "'");
    std::string path = dir + "/" + network + ".json";
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno("remove " + path);
}

std::string container_resolv_conf(const std::string& nameserver_ipv4,
                                  const std::vector<std::string>& search) {
    std::string text = "nameserver " + nameserver_ipv4 + "\n";
    if (!search.empty()) {
        text += "search";
        for (const auto& domain : search) text += " " + domain;
        text += "\n";
    }
    text += "options ndots:0\n";
    return text;
}

std::vector<std::string> parse_resolv_conf_nameservers(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        std::size_t eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        auto skip_space = [](std::string_view& s) {
            while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        };
        skip_space(line);
        if (!line.starts_with("nameserver")) continue;
        line.remove_prefix(10);
        if (line.empty() || (line.front() != ' ' && line.front() != '\t')) continue;
        skip_space(line);
        std::size_t end = line.find_first_of(" \t\r#;");
        std::string address(line.substr(0, end));
        if (is_ipv4(address)) out.push_back(address);
    }
    return out;
}

}  // namespace berth::netns
