#include "berth/images/analyze_ci.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>

#include "berth/error.h"

namespace berth::images {
namespace {

std::string trim(const std::string& s) {
    size_t a = s.find_first_not_of(" \t");
    size_t b = s.find_last_not_of(" \t");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

double parse_number(const std::string& text, const std::string& what) {
    size_t used = 0;
    double v = 0;
    try {
        v = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || !std::isfinite(v) || v < 0)
        throw Error(what + ": \"" + text + "\" is not a non-negative number");
    return v;
}

// "0.1" or "10%" -> 0.1
double parse_ratio(const std::string& text, const std::string& what) {
    if (!text.empty() && text.back() == '%')
        return parse_number(trim(text.substr(0, text.size() - 1)), what) / 100;
    return parse_number(text, what);
}

// "20MB" (1000s), "20MiB" (1024s), "20 kB", "1000" -> bytes, as humanize.ParseBytes does.
uint64_t parse_bytes(const std::string& text, const std::string& what) {
    size_t split = text.find_first_not_of("0123456789.");
    std::string number = trim(text.substr(0, split));
    std::string unit = split == std::string::npos ? "" : trim(text.substr(split));
    for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    double scale = 0;
    const std::pair<const char*, double> units[] = {{"", 1},
                                                    {"b", 1},
                                                    {"k", 1e3},
                                                    {"kb", 1e3},
                                                    {"m", 1e6},
                                                    {"mb", 1e6},
                                                    {"g", 1e9},
                                                    {"gb", 1e9},
                                                    {"t", 1e12},
                                                    {"tb", 1e12},
                                                    {"kib", 1024.0},
                                                    {"mib", 1048576.0},
                                                    {"gib", 1073741824.0},
                                                    {"tib", 1099511627776.0}};
    for (const auto& [name, factor] : units)
        if (unit == name) scale = factor;
    if (scale == 0 || number.empty())
        throw Error(what + ": \"" + text + "\" is not a size (e.g. 20MB, 20MiB, 1000)");
    double v = parse_number(number, what) * scale;
    if (v > 1.8e19) throw Error(what + ": \"" + text + "\" is too large");
    return static_cast<uint64_t>(v);
}

std::string format(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", v);
    return buf;
}

}  // namespace

void set_ci_rule(CiRules& rules, const std::string& key, const std::string& raw,
                 const std::string& what) {
    std::string value = trim(raw);
    bool off = value == "disabled";
    std::string where = what + ": " + key;
    if (key == "lowestEfficiency") {
        rules.lowest_efficiency =
            off ? std::nullopt : std::optional<double>(parse_ratio(value, where));
    } else if (key == "highestWastedBytes") {
        rules.highest_wasted_bytes =
            off ? std::nullopt : std::optional<uint64_t>(parse_bytes(value, where));
    } else if (key == "highestUserWastedPercent") {
        rules.highest_user_wasted_percent =
            off ? std::nullopt : std::optional<double>(parse_ratio(value, where));
    } else {
        throw Error(what + ": unknown rule \"" + key +
                    "\" (lowestEfficiency, highestWastedBytes, highestUserWastedPercent)");
    }
}

void load_ci_file(CiRules& rules, const std::string& path) {
    YAML::Node doc;
    try {
        doc = YAML::LoadFile(path);
    } catch (const YAML::Exception& e) {
        throw Error(path + ": " + e.what());
    }
    if (doc.IsNull()) return;
    if (!doc.IsMap()) throw Error(path + ": not a mapping of rules");
    YAML::Node section = doc["rules"] ? doc["rules"] : doc;
    if (!section.IsMap()) throw Error(path + ": \"rules\" is not a mapping");
    for (const auto& kv : section) {
        if (!kv.second.IsScalar())
            throw Error(path + ": " + kv.first.as<std::string>() + ": not a single value");
        set_ci_rule(rules, kv.first.as<std::string>(), kv.second.as<std::string>(), path);
    }
}

std::vector<CiOutcome> evaluate_ci(const ImageAnalysis& a, const CiRules& rules) {
    std::vector<CiOutcome> out;
    CiOutcome eff;
    eff.rule = "lowestEfficiency";
    if (rules.lowest_efficiency) {
        eff.pass = !(a.efficiency < *rules.lowest_efficiency);
        eff.detail =
            format(a.efficiency) + (eff.pass ? " >= " : " < ") + format(*rules.lowest_efficiency);
    } else {
        eff.enabled = false;
    }
    out.push_back(eff);
    CiOutcome bytes;
    bytes.rule = "highestWastedBytes";
    if (rules.highest_wasted_bytes) {
        bytes.pass = a.wasted_bytes <= *rules.highest_wasted_bytes;
        bytes.detail = std::to_string(a.wasted_bytes) + (bytes.pass ? " <= " : " > ") +
                       std::to_string(*rules.highest_wasted_bytes);
    } else {
        bytes.enabled = false;
    }
    out.push_back(bytes);
    CiOutcome user;
    user.rule = "highestUserWastedPercent";
    if (rules.highest_user_wasted_percent) {
        user.pass = !(a.user_wasted_percent > *rules.highest_user_wasted_percent);
        user.detail = format(a.user_wasted_percent) + (user.pass ? " <= " : " > ") +
                      format(*rules.highest_user_wasted_percent);
    } else {
        user.enabled = false;
    }
    out.push_back(user);
    return out;
}

}  // namespace berth::images
