// `berth diff` (upper_changes) and `commit --change` (apply_change): the parts of commit that
// describe changes rather than write them.
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "berth/duration.h"
#include "berth/error.h"
#include "berth/images/commit.h"
#include "upper_walk.h"

namespace berth::images {

std::vector<UpperChange> upper_changes(const std::string& upper,
                                       const std::vector<std::string>& lowers,
                                       const std::vector<std::string>& excluded) {
    std::vector<UpperChange> out;
    std::set<std::string> copied_up;  // directories in upper only for what is below them
    walk_upper(upper, excluded, [&](const UpperEntry& e) {
        std::string path = "/" + e.path;
        bool in_lower = lower_lookup(lowers, e.path);
        if (e.whiteout) {
            if (in_lower) out.push_back({'D', path});  // a whiteout of nothing changes nothing
            return;
        }
        out.push_back({in_lower ? 'C' : 'A', path});
        if (in_lower && S_ISDIR(e.st.st_mode) && !e.opaque) copied_up.insert(path);
        if (!e.opaque || !in_lower) return;
        // An opaque directory hides everything the lowers had in it that it does not have.
        for (const std::string& child : lower_children(lowers, e.path)) {
            struct stat st;
            if (::lstat((upper + "/" + e.path + "/" + child).c_str(), &st) != 0)
                out.push_back({'D', path + "/" + child});
        }
    });
    std::sort(out.begin(), out.end(),
              [](const UpperChange& a, const UpperChange& b) { return a.path < b.path; });
    // A copied-up directory is a change only if something below it is (a mount target the
    // runtime created in it, excluded above, is not).
    std::vector<UpperChange> kept;
    for (size_t i = 0; i < out.size(); ++i) {
        if (copied_up.count(out[i].path)) {
            std::string prefix = out[i].path + "/";
            bool below = false;
            for (size_t j = i + 1; j < out.size() && !below; ++j)
                below = out[j].path.compare(0, prefix.size(), prefix) == 0;
            if (!below) continue;
        }
        kept.push_back(out[i]);
    }
    return kept;
}

namespace {

std::string trim(const std::string& s) {
    size_t a = s.find_first_not_of(" \t");
    size_t b = s.find_last_not_of(" \t");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::vector<std::string> words(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    char quote = 0;
    for (char c : s) {
        if (quote) {
            if (c == quote) {
                quote = 0;
            } else {
                cur += c;
            }
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == ' ' || c == '\t') {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (quote) throw Error("unterminated quote in \"" + s + "\"");
    if (!cur.empty()) out.push_back(cur);
    return out;
}

// Exec form (a JSON array of strings) or shell form (run by /bin/sh -c).
nlohmann::json command(const std::string& rest, const std::string& what) {
    if (!rest.empty() && rest[0] == '[') {
        try {
            nlohmann::json j = nlohmann::json::parse(rest);
            for (const auto& w : j)
                if (!w.is_string()) throw Error(what + ": the array must hold strings");
            return j;
        } catch (const nlohmann::json::exception& e) {
            throw Error(what + ": invalid JSON array: " + e.what());
        }
    }
    return nlohmann::json::array({"/bin/sh", "-c", rest});
}

void set_env(nlohmann::json& c, const std::string& key, const std::string& value) {
    if (!c.contains("Env") || !c["Env"].is_array()) c["Env"] = nlohmann::json::array();
    for (auto& e : c["Env"])
        if (e.is_string() && e.get<std::string>().rfind(key + "=", 0) == 0) {
            e = key + "=" + value;
            return;
        }
    c["Env"].push_back(key + "=" + value);
}

// "K=V K2=V2", or the legacy "K V" (everything after the key is the value).
std::vector<std::pair<std::string, std::string>> pairs(const std::string& rest,
                                                       const std::string& what) {
    std::vector<std::pair<std::string, std::string>> out;
    std::vector<std::string> w = words(rest);
    if (w.empty()) throw Error(what + ": needs KEY=VALUE");
    if (w[0].find('=') == std::string::npos) {
        std::string value = trim(rest.substr(rest.find(w[0]) + w[0].size()));
        if (w.size() < 2) throw Error(what + ": needs KEY=VALUE or KEY VALUE");
        out.emplace_back(w[0], value);
        return out;
    }
    for (const std::string& kv : w) {
        size_t eq = kv.find('=');
        if (eq == std::string::npos || eq == 0)
            throw Error(what + ": \"" + kv + "\" is not KEY=VALUE");
        out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
    return out;
}

// HEALTHCHECK NONE | HEALTHCHECK [--interval=D] [--timeout=D] [--start-period=D] [--retries=N]
// CMD command (exec or shell form), as in a Dockerfile.
nlohmann::json healthcheck(std::string rest, const std::string& what) {
    nlohmann::json h = nlohmann::json::object();
    for (;;) {
        rest = trim(rest);
        if (rest.rfind("--", 0) != 0) break;
        size_t end = rest.find_first_of(" \t");
        std::string option = rest.substr(0, end);
        rest = end == std::string::npos ? "" : rest.substr(end);
        size_t eq = option.find('=');
        if (eq == std::string::npos) throw Error(what + ": " + option + " needs =VALUE");
        std::string key = option.substr(2, eq - 2), value = option.substr(eq + 1);
        if (key == "interval" || key == "timeout" || key == "start-period") {
            std::string field = key == "interval"  ? "Interval"
                                : key == "timeout" ? "Timeout"
                                                   : "StartPeriod";
            h[field] = parse_duration_ns(value, what + " --" + key);
        } else if (key == "retries") {
            if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos ||
                value.size() > 6)
                throw Error(what + ": --retries=" + value + " is not a number");
            h["Retries"] = std::stoi(value);
        } else {
            throw Error(what + ": unknown option --" + key +
                        " (--interval --timeout --start-period --retries)");
        }
    }
    std::vector<std::string> w = words(rest);
    std::string kind = w.empty() ? "" : w[0];
    for (char& ch : kind) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (kind == "NONE" && w.size() == 1) {
        h["Test"] = nlohmann::json::array({"NONE"});
        return h;
    }
    if (kind != "CMD" || w.size() < 2)
        throw Error(what + ": use HEALTHCHECK NONE or ... CMD command");
    std::string cmd = trim(rest.substr(rest.find(w[0]) + w[0].size()));
    nlohmann::json test = nlohmann::json::array({"CMD"});
    if (cmd[0] == '[') {
        for (const auto& part : command(cmd, what)) test.push_back(part);
    } else {
        test = nlohmann::json::array({"CMD-SHELL", cmd});
    }
    h["Test"] = test;
    return h;
}

}  // namespace

void apply_change(nlohmann::json& config, const std::string& instruction) {
    std::string text = trim(instruction);
    size_t space = text.find_first_of(" \t");
    std::string op = text.substr(0, space);
    std::string rest = space == std::string::npos ? "" : trim(text.substr(space));
    for (char& ch : op) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    std::string what = "--change \"" + text + "\"";
    if (!config.contains("config") || !config["config"].is_object())
        config["config"] = nlohmann::json::object();
    nlohmann::json& c = config["config"];
    if (rest.empty()) throw Error(what + ": needs an argument");
    if (op == "CMD") {
        c["Cmd"] = command(rest, what);
    } else if (op == "ENTRYPOINT") {
        c["Entrypoint"] = command(rest, what);
    } else if (op == "ENV") {
        for (const auto& [k, v] : pairs(rest, what)) set_env(c, k, v);
    } else if (op == "LABEL") {
        if (!c.contains("Labels") || !c["Labels"].is_object())
            c["Labels"] = nlohmann::json::object();
        for (const auto& [k, v] : pairs(rest, what)) c["Labels"][k] = v;
    } else if (op == "WORKDIR") {
        c["WorkingDir"] = rest;
    } else if (op == "USER") {
        c["User"] = rest;
    } else if (op == "STOPSIGNAL") {
        c["StopSignal"] = rest;
    } else if (op == "EXPOSE") {
        if (!c.contains("ExposedPorts") || !c["ExposedPorts"].is_object())
            c["ExposedPorts"] = nlohmann::json::object();
        for (std::string port : words(rest)) {
            if (port.find('/') == std::string::npos) port += "/tcp";
            if (port.find_first_not_of("0123456789-/tcpudsp") != std::string::npos)
                throw Error(what + ": \"" + port + "\" is not a port");
            c["ExposedPorts"][port] = nlohmann::json::object();
        }
    } else if (op == "VOLUME") {
        if (!c.contains("Volumes") || !c["Volumes"].is_object())
            c["Volumes"] = nlohmann::json::object();
        nlohmann::json list = rest[0] == '[' ? command(rest, what) : nlohmann::json(words(rest));
        for (const auto& v : list) c["Volumes"][v.get<std::string>()] = nlohmann::json::object();
    } else if (op == "HEALTHCHECK") {
        c["Healthcheck"] = healthcheck(rest, what);
    } else if (op == "ONBUILD") {
        if (!c.contains("OnBuild") || !c["OnBuild"].is_array())
            c["OnBuild"] = nlohmann::json::array();
        c["OnBuild"].push_back(rest);
    } else {
        throw Error(what + ": unknown instruction " + op +
                    " (CMD ENTRYPOINT ENV EXPOSE HEALTHCHECK LABEL ONBUILD STOPSIGNAL USER VOLUME "
                    "WORKDIR)");
    }
}

}  // namespace berth::images
