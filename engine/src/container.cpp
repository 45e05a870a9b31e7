#include "berth/engine/container.h"

#include <time.h>

#include <cstdio>
#include <cstdlib>

#include "berth/error.h"

namespace berth::engine {

using nlohmann::json;

RestartPolicy parse_restart_policy(const std::string& text) {
    RestartPolicy p;
    size_t colon = text.find(':');
    p.name = text.substr(0, colon);
    if (p.name != "no" && p.name != "always" && p.name != "unless-stopped" &&
        p.name != "on-failure")
        throw Error("invalid restart policy \"" + text +
                    "\": use no, always, unless-stopped or on-failure[:N]");
    if (colon != std::string::npos) {
        if (p.name != "on-failure")
            throw Error("invalid restart policy \"" + text + "\": only on-failure takes :N");
        std::string n = text.substr(colon + 1);
        if (n.empty() || n.size() > 6 || n.find_first_not_of("0123456789") != std::string::npos)
            throw Error("invalid restart policy \"" + text + "\": N must be a number >= 0");
        p.maximum_retry_count = std::stoi(n);
    }
    return p;
}

namespace {

json config_json(const ContainerConfig& c) {
    return {{"Hostname", c.hostname},
            {"Domainname", c.domainname},
            {"User", c.user},
            {"Tty", c.tty},
            {"OpenStdin", c.open_stdin},
            {"AttachStdin", c.open_stdin},
            {"Env", c.env},
            {"Cmd", c.cmd},
            {"Entrypoint", c.entrypoint.empty() ? json(nullptr) : json(c.entrypoint)},
            {"Image", c.image},
            {"WorkingDir", c.working_dir},
            {"Labels", c.labels},
            {"StopSignal", c.stop_signal},
            {"StopTimeout", c.stop_timeout ? json(*c.stop_timeout) : json(nullptr)},
            {"Healthcheck", c.healthcheck ? health_config_json(*c.healthcheck) : json(nullptr)}};
}

ContainerConfig config_from(const json& j) {
    ContainerConfig c;
    c.hostname = j.value("Hostname", "");
    c.domainname = j.value("Domainname", "");
    c.user = j.value("User", "");
    c.tty = j.value("Tty", false);
    c.open_stdin = j.value("OpenStdin", false);
    c.env = j.value("Env", std::vector<std::string>{});
    c.cmd = j.value("Cmd", std::vector<std::string>{});
    if (j.contains("Entrypoint") && j["Entrypoint"].is_array())
        c.entrypoint = j["Entrypoint"].get<std::vector<std::string>>();
    c.image = j.value("Image", "");
    c.working_dir = j.value("WorkingDir", "");
    c.labels = j.value("Labels", std::map<std::string, std::string>{});
    c.stop_signal = j.value("StopSignal", "SIGTERM");
    if (j.contains("StopTimeout") && j["StopTimeout"].is_number())
        c.stop_timeout = j["StopTimeout"].get<int>();
    if (j.contains("Healthcheck") && j["Healthcheck"].is_object())
        c.healthcheck = health_config_from(j["Healthcheck"], "container config");
    return c;
}

json extra_networks_json(const std::vector<NetworkEndpointConfig>& extras) {
    json out = json::array();
    for (const auto& e : extras)
        out.push_back(
            {{"Name", e.network}, {"IPv4Address", e.ipv4_address}, {"Aliases", e.aliases}});
    return out;
}

// docker's HostConfig.Ulimits: [{"Name": "nofile", "Soft": 1024, "Hard": 2048}] or null.
json ulimits_json(const std::vector<Ulimit>& ulimits) {
    if (ulimits.empty()) return nullptr;
    json out = json::array();
    for (const Ulimit& u : ulimits)
        out.push_back({{"Name", u.name}, {"Soft", u.soft}, {"Hard", u.hard}});
    return out;
}

json host_json(const HostConfig& h) {
    return {{"Binds", h.binds},
            {"Tmpfs", h.tmpfs},
            {"Memory", h.memory},
            {"MemorySwap", h.memory_swap},
            {"NanoCpus", h.nano_cpus},
            {"PidsLimit", h.pids_limit ? json(h.pids_limit) : json(nullptr)},
            {"CapAdd", h.cap_add},
            {"CapDrop", h.cap_drop},
            {"SecurityOpt", h.security_opt},
            {"ReadonlyRootfs", h.read_only},
            {"AutoRemove", h.auto_remove},
            {"Init", h.init ? json(true) : json(nullptr)},
            {"RestartPolicy",
             {{"Name", h.restart_policy.name},
              {"MaximumRetryCount", h.restart_policy.maximum_retry_count}}},
            {"NetworkMode", h.network_mode},
            {"Dns", h.dns},
            {"BerthPublish", h.port_bindings},
            {"BerthNetworkAliases", h.network_aliases},
            {"BerthIPv4Address", h.ipv4_address},
            {"BerthExtraNetworks", extra_networks_json(h.extra_networks)},
            {"BerthNetworksDisconnected", h.networks_disconnected},
            {"LogConfig", {{"Type", "json-file"}, {"Config", h.log_options}}},
            {"Ulimits", ulimits_json(h.ulimits)}};
}

HostConfig host_from(const json& j) {
    HostConfig h;
    h.binds = j.value("Binds", std::vector<std::string>{});
    h.tmpfs = j.value("Tmpfs", std::map<std::string, std::string>{});
    h.memory = j.value("Memory", int64_t{0});
    h.memory_swap = j.value("MemorySwap", int64_t{0});
    h.nano_cpus = j.value("NanoCpus", int64_t{0});
    if (j.contains("PidsLimit") && j["PidsLimit"].is_number())
        h.pids_limit = j["PidsLimit"].get<int64_t>();
    h.cap_add = j.value("CapAdd", std::vector<std::string>{});
    h.cap_drop = j.value("CapDrop", std::vector<std::string>{});
    h.security_opt = j.value("SecurityOpt", std::vector<std::string>{});
    h.read_only = j.value("ReadonlyRootfs", false);
    h.auto_remove = j.value("AutoRemove", false);
    h.init = j.contains("Init") && j["Init"].is_boolean() && j["Init"].get<bool>();
    if (j.contains("RestartPolicy")) {
        h.restart_policy.name = j["RestartPolicy"].value("Name", "no");
        h.restart_policy.maximum_retry_count = j["RestartPolicy"].value("MaximumRetryCount", 0);
    }
    h.network_mode = j.value("NetworkMode", "none");
    h.dns = j.value("Dns", std::vector<std::string>{});
    h.port_bindings = j.value("BerthPublish", std::vector<std::string>{});
    h.network_aliases = j.value("BerthNetworkAliases", std::vector<std::string>{});
    h.ipv4_address = j.value("BerthIPv4Address", "");
    h.networks_disconnected = j.value("BerthNetworksDisconnected", false);
    for (const json& e : j.value("BerthExtraNetworks", json::array()))
        h.extra_networks.push_back({e.at("Name").get<std::string>(), e.value("IPv4Address", ""),
                                    e.value("Aliases", std::vector<std::string>{})});
    if (j.contains("LogConfig"))
        h.log_options = j["LogConfig"].value("Config", std::map<std::string, std::string>{});
    if (j.contains("Ulimits") && j["Ulimits"].is_array())
        for (const json& u : j["Ulimits"])
            h.ulimits.push_back(
                {u.value("Name", ""), u.value("Soft", int64_t{0}), u.value("Hard", int64_t{0})});
    return h;
}

}  // namespace

json ContainerRecord::to_json() const {
    json mounts_json = json::array();
    for (const MountPoint& m : mounts)
        mounts_json.push_back({{"Type", m.type},
                               {"Name", m.name},
                               {"Source", m.source},
                               {"Destination", m.destination},
                               {"Mode", m.mode},
                               {"RW", m.rw}});
    return {{"Id", id},
            {"Name", name},
            {"Created", created},
            {"Image", image_id},
            {"Path", path},
            {"Args", args},
            {"Config", config_json(config)},
            {"HostConfig", host_json(host_config)},
            {"Mounts", mounts_json},
            {"LowerDirs", lower_dirs}};
}

ContainerRecord ContainerRecord::from_json(const json& j) {
    try {
        ContainerRecord r;
        r.id = j.at("Id").get<std::string>();
        r.name = j.at("Name").get<std::string>();
        r.created = j.value("Created", "");
        r.image_id = j.value("Image", "");
        r.path = j.value("Path", "");
        r.args = j.value("Args", std::vector<std::string>{});
        r.config = config_from(j.at("Config"));
        r.host_config = host_from(j.at("HostConfig"));
        for (const json& m : j.value("Mounts", json::array()))
            r.mounts.push_back({m.value("Type", ""), m.value("Name", ""), m.value("Source", ""),
                                m.value("Destination", ""), m.value("Mode", ""),
                                m.value("RW", true)});
        r.lower_dirs = j.value("LowerDirs", std::vector<std::string>{});
        return r;
    } catch (const json::exception& e) {
        throw Error(std::string("container record: ") + e.what());
    }
}

json RunState::to_json() const {
    return {{"Status", status},
            {"Pid", pid},
            {"PidStartTime", pid_start_time},
            {"MonitorPid", monitor_pid},
            {"MonitorStartTime", monitor_start_time},
            {"ExitCode", exit_code},
            {"Error", error},
            {"StartedAt", started_at},
            {"FinishedAt", finished_at},
            {"OOMKilled", oom_killed},
            {"RestartCount", restart_count},
            {"StoppedByUser", stopped_by_user}};
}

RunState RunState::from_json(const json& j) {
    RunState s;
    s.status = j.value("Status", "created");
    s.pid = j.value("Pid", 0);
    s.pid_start_time = j.value("PidStartTime", uint64_t{0});
    s.monitor_pid = j.value("MonitorPid", 0);
    s.monitor_start_time = j.value("MonitorStartTime", uint64_t{0});
    s.exit_code = j.value("ExitCode", 0);
    s.error = j.value("Error", "");
    s.started_at = j.value("StartedAt", kZeroTime);
    s.finished_at = j.value("FinishedAt", kZeroTime);
    s.oom_killed = j.value("OOMKilled", false);
    s.restart_count = j.value("RestartCount", 0);
    s.stopped_by_user = j.value("StoppedByUser", false);
    return s;
}

std::string now_rfc3339_nano() {
    timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);
    tm t;
    ::gmtime_r(&ts.tv_sec, &t);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", t.tm_year + 1900,
                  t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec);
    return buf;
}

double parse_rfc3339(const std::string& text) {
    tm t{};
    int year, mon, day, hour, min, sec;
    if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d", &year, &mon, &day, &hour, &min, &sec) != 6 ||
        year < 1970)
        return 0;
    t.tm_year = year - 1900;
    t.tm_mon = mon - 1;
    t.tm_mday = day;
    t.tm_hour = hour;
    t.tm_min = min;
    t.tm_sec = sec;
    double frac = 0;
    size_t dot = text.find('.');
    if (dot != std::string::npos) frac = std::strtod(text.c_str() + dot, nullptr);
    return static_cast<double>(::timegm(&t)) + frac;
}

}  // namespace berth::engine
