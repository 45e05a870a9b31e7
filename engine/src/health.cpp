#include "berth/engine/health.h"

#include <unistd.h>

#include "berth/engine/container_store.h"
#include "berth/error.h"
#include "berth/file_io.h"

namespace berth::engine {
namespace {

using nlohmann::json;

std::string health_file(const ContainerStore& store, const std::string& id) {
    return store.dir(id) + "/health.json";
}

int64_t duration_field(const json& j, const char* key, const std::string& origin) {
    if (!j.contains(key) || j[key].is_null()) return 0;
    if (!j[key].is_number_integer() || j[key].get<int64_t>() < 0)
        throw Error(origin + ": Healthcheck." + key + " must be a non-negative number of ns");
    return j[key].get<int64_t>();
}

}  // namespace

std::vector<std::string> HealthConfig::command() const {
    if (disabled()) return {};
    if (test[0] == "CMD-SHELL") return {"/bin/sh", "-c", test.size() > 1 ? test[1] : ""};
    return {test.begin() + 1, test.end()};  // CMD
}

json health_config_json(const HealthConfig& c) {
    return {{"Test", c.test},
            {"Interval", c.interval},
            {"Timeout", c.timeout},
            {"StartPeriod", c.start_period},
            {"Retries", c.retries}};
}

HealthConfig health_config_from(const json& j, const std::string& origin) {
    if (!j.is_object()) throw Error(origin + ": Healthcheck must be an object");
    HealthConfig c;
    if (j.contains("Test") && !j["Test"].is_null()) {
        if (!j["Test"].is_array()) throw Error(origin + ": Healthcheck.Test must be an array");
        for (const json& t : j["Test"]) {
            if (!t.is_string()) throw Error(origin + ": Healthcheck.Test holds a non-string");
            c.test.push_back(t.get<std::string>());
        }
    }
    if (!c.test.empty() && c.test[0] != "NONE" && c.test[0] != "CMD" && c.test[0] != "CMD-SHELL")
        throw Error(origin + ": Healthcheck.Test must start with NONE, CMD or CMD-SHELL, not \"" +
                    c.test[0] + "\"");
    if (!c.test.empty() && c.test[0] != "NONE" && c.test.size() < 2)
        throw Error(origin + ": Healthcheck.Test " + c.test[0] + " needs a command");
    c.interval = duration_field(j, "Interval", origin);
    c.timeout = duration_field(j, "Timeout", origin);
    c.start_period = duration_field(j, "StartPeriod", origin);
    if (j.contains("Retries") && j["Retries"].is_number_integer()) {
        c.retries = j["Retries"].get<int>();
        if (c.retries < 0) throw Error(origin + ": Healthcheck.Retries must not be negative");
    }
    return c;
}

json health_state_json(const HealthState& s) {
    json log = json::array();
    for (const HealthResult& r : s.log)
        log.push_back(
            {{"Start", r.start}, {"End", r.end}, {"ExitCode", r.exit_code}, {"Output", r.output}});
    return {{"Status", s.status}, {"FailingStreak", s.failing_streak}, {"Log", log}};
}

HealthState health_state_from(const json& j) {
    HealthState s;
    s.status = j.value("Status", "starting");
    s.failing_streak = j.value("FailingStreak", 0);
    if (j.contains("Log") && j["Log"].is_array())
        for (const json& r : j["Log"])
            s.log.push_back({r.value("Start", ""), r.value("End", ""), r.value("ExitCode", 0),
                             r.value("Output", "")});
    return s;
}

std::optional<HealthState> load_health(const ContainerStore& store, const std::string& id) {
    std::string text;
    try {
        text = read_file(health_file(store, id));
    } catch (const Error&) {
        return std::nullopt;
    }
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    return health_state_from(j);
}

void save_health(const ContainerStore& store, const std::string& id, const HealthState& state) {
    write_file_atomic(health_file(store, id), health_state_json(state).dump(), 0644);
}

void clear_health(const ContainerStore& store, const std::string& id) {
    ::unlink(health_file(store, id).c_str());
}

}  // namespace berth::engine
