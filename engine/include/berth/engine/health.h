// Health checks (docker's HEALTHCHECK / --health-cmd): berth-monitor runs the check inside the
// running container every Interval; Retries failures in a row make it "unhealthy", one success
// "healthy". Failures during StartPeriod do not count. The result lives in
// <container dir>/health.json (written by the monitor only), shown by inspect (State.Health)
// and ps ("Up 2 minutes (healthy)").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::engine {

class ContainerStore;

// docker's Config.Healthcheck; durations in nanoseconds, 0 = docker's default.
struct HealthConfig {
    // ["CMD", arg...], ["CMD-SHELL", "command"], or ["NONE"] (checks off, also the image's).
    std::vector<std::string> test;
    int64_t interval = 0, timeout = 0, start_period = 0;
    int retries = 0;

    bool disabled() const { return test.empty() || test[0] == "NONE"; }
    // What the monitor runs: CMD's arguments, or /bin/sh -c for CMD-SHELL.
    std::vector<std::string> command() const;
    int64_t interval_or_default() const { return interval ? interval : 30'000'000'000; }
    int64_t timeout_or_default() const { return timeout ? timeout : 30'000'000'000; }
    int retries_or_default() const { return retries ? retries : 3; }
};
nlohmann::json health_config_json(const HealthConfig& config);
// Docker's JSON (also an image config's "Healthcheck"); throws berth::Error naming the field.
HealthConfig health_config_from(const nlohmann::json& j, const std::string& origin);

struct HealthResult {
    std::string start, end;  // RFC 3339
    int exit_code = 0;       // 0 healthy, 1 unhealthy; -1: could not run or timed out
    std::string output;      // the first 4 KiB of stdout+stderr
};

struct HealthState {
    std::string status = "starting";  // starting | healthy | unhealthy
    int failing_streak = 0;
    std::vector<HealthResult> log;  // the last 5 results, oldest first
};
nlohmann::json health_state_json(const HealthState& state);  // docker's State.Health
HealthState health_state_from(const nlohmann::json& j);

// <container dir>/health.json, or nothing when no check has state (none configured or never
// started).
std::optional<HealthState> load_health(const ContainerStore& store, const std::string& id);
void save_health(const ContainerStore& store, const std::string& id, const HealthState& state);
void clear_health(const ContainerStore& store, const std::string& id);

}  // namespace berth::engine
