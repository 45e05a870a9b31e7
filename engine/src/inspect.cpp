#include "berth/engine/inspect.h"

#include "berth/engine/container_ops.h"
#include "berth/engine/engine.h"
#include "network_setup.h"

namespace berth::engine {

using nlohmann::json;

json inspect_container(Engine& engine, const std::string& id) {
    const ContainerStore& store = engine.containers();
    ContainerRecord r = store.load(id);
    RunState st = engine.state(id);
    bool running = st.status == "running";
    bool paused = running && container_paused(store, id);
    json record = r.to_json();
    std::string lower;
    for (auto it = r.lower_dirs.rbegin(); it != r.lower_dirs.rend(); ++it)
        lower += (lower.empty() ? "" : ":") + *it;  // overlayfs order: top layer first
    json mounts = json::array();
    for (const MountPoint& m : r.mounts) {
        json j = {{"Type", m.type},
                  {"Source", m.source},
                  {"Destination", m.destination},
                  {"Mode", m.mode},
                  {"RW", m.rw},
                  {"Propagation", m.type == "bind" ? "rprivate" : ""}};
        if (m.type == "volume") {
            j["Name"] = m.name;
            j["Driver"] = "local";
        }
        mounts.push_back(j);
    }
    std::string dir = store.dir(id);
    json inspected = {{"Id", r.id},
                      {"Created", r.created},
                      {"Path", r.path},
                      {"Args", r.args},
                      {"State",
                       {{"Status", paused ? "paused" : st.status},
                        {"Running", running},
                        {"Paused", paused},
                        {"Restarting", st.status == "restarting"},
                        {"OOMKilled", st.oom_killed},
                        {"Dead", st.status == "dead"},
                        {"Pid", running ? st.pid : 0},
                        {"ExitCode", st.exit_code},
                        {"Error", st.error},
                        {"StartedAt", st.started_at},
                        {"FinishedAt", st.finished_at}}},
                      {"Image", r.image_id},
                      {"ResolvConfPath", dir + "/resolv.conf"},
                      {"HostnamePath", dir + "/hostname"},
                      {"HostsPath", dir + "/hosts"},
                      {"LogPath", store.log_path(id)},
                      {"Name", "/" + r.name},
                      {"RestartCount", st.restart_count},
                      {"Driver", "overlay"},
                      {"Platform", "linux"},
                      {"MountLabel", ""},
                      {"ProcessLabel", ""},
                      {"AppArmorProfile", ""},
                      {"Config", record["Config"]},
                      {"HostConfig", record["HostConfig"]},
                      {"Mounts", mounts},
                      {"NetworkSettings", network_settings(store, r)},
                      {"GraphDriver",
                       {{"Name", "overlay"},
                        {"Data",
                         {{"LowerDir", lower},
                          {"UpperDir", store.rw_dir(id) + "/upper"},
                          {"WorkDir", store.rw_dir(id) + "/work"},
                          {"MergedDir", store.rootfs_dir(id)}}}}}};
    // docker's State.Health, for containers with a health check that has run or is starting.
    if (r.config.healthcheck && !r.config.healthcheck->disabled())
        if (auto health = load_health(store, id))
            inspected["State"]["Health"] = health_state_json(*health);
    return inspected;
}

std::string apply_format(const json& doc, const std::string& format) {
    std::string out;
    size_t pos = 0;
    while (pos < format.size()) {
        size_t open = format.find("{{", pos);
        if (open == std::string::npos) {
            out += format.substr(pos);
            break;
        }
        size_t close = format.find("}}", open);
        if (close == std::string::npos) throw Error("format: unclosed {{ in \"" + format + "\"");
        out += format.substr(pos, open - pos);
        std::string expr = format.substr(open + 2, close - open - 2);
        while (!expr.empty() && expr.front() == ' ') expr.erase(0, 1);
        while (!expr.empty() && expr.back() == ' ') expr.pop_back();
        bool as_json = expr.rfind("json ", 0) == 0;
        if (as_json) expr = expr.substr(5);
        while (!expr.empty() && expr.front() == ' ') expr.erase(0, 1);
        if (expr.empty() || expr[0] != '.')
            throw Error("format: unsupported expression {{" + expr + "}}");
        const json* node = &doc;
        size_t start = 1;
        while (start < expr.size()) {
            size_t dot = expr.find('.', start);
            std::string key = expr.substr(start, dot - start);
            if (!node->is_object() || !node->contains(key))
                throw Error("format: no field \"" + key + "\" in " + expr);
            node = &(*node)[key];
            if (dot == std::string::npos) break;
            start = dot + 1;
        }
        out += node->is_string() && !as_json ? node->get<std::string>() : node->dump();
        pos = close + 2;
    }
    return out;
}

}  // namespace berth::engine
