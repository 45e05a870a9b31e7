// berth ps | inspect | logs
#include <time.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "berth/engine/container_ops.h"
#include "berth/engine/engine.h"
#include "berth/engine/inspect.h"
#include "berth/engine/logs.h"
#include "berth/engine/volumes.h"
#include "berth/images/inspect.h"
#include "berth/images/store.h"
#include "berth/netns/network.h"
#include "berth/netns/networks.h"
#include "container_commands.h"

namespace berth::cli {
namespace {

using nlohmann::json;

std::string ago(double seconds) {
    long s = seconds < 0 ? 0 : static_cast<long>(seconds);
    if (s < 1) return "Less than a second";
    if (s < 60) return std::to_string(s) + (s == 1 ? " second" : " seconds");
    if (s < 3600) return std::to_string(s / 60) + (s / 60 == 1 ? " minute" : " minutes");
    if (s < 86400) return std::to_string(s / 3600) + (s / 3600 == 1 ? " hour" : " hours");
    return std::to_string(s / 86400) + (s / 86400 == 1 ? " day" : " days");
}

double now_seconds() {
    timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

std::string status_text(const engine::RunState& st, bool paused) {
    double now = now_seconds();
    if (st.status == "running")
        return "Up " + ago(now - engine::parse_rfc3339(st.started_at)) +
               (paused ? " (Paused)" : "");
    if (st.status == "restarting")
        return "Restarting (" + std::to_string(st.exit_code) + ") " +
               ago(now - engine::parse_rfc3339(st.finished_at)) + " ago";
    if (st.status == "exited")
        return "Exited (" + std::to_string(st.exit_code) + ") " +
               ago(now - engine::parse_rfc3339(st.finished_at)) + " ago";
    return "Created";
}

// Docker's PORTS column: "127.0.0.1:8080->80/tcp, 0.0.0.0:53->53/udp" while it runs.
std::string ports_text(const engine::ContainerRecord& r, bool up) {
    std::string out;
    if (!up) return out;
    for (const std::string& spec : r.host_config.port_bindings) {
        netns::PortMapping p;
        try {
            p = netns::PortMapping::parse(spec);
        } catch (const Error&) {
            continue;  // validated at create; an old record's odd value is just not shown
        }
        if (!out.empty()) out += ", ";
        out += (p.host_ip.value ? p.host_ip.str() : "0.0.0.0") + ":" + std::to_string(p.host_port) +
               "->" + std::to_string(p.container_port) + "/" + p.protocol;
    }
    return out;
}

struct QueryFlags {
    bool all = false, quiet = false;
    std::string format = "table";
    std::string type;
    std::vector<std::string> refs;
    engine::LogsOptions logs;
};

int ps(const GlobalFlags& g, const QueryFlags& f) {
    engine::Engine eng(g.root, g.run_root);
    if (f.format != "table" && f.format != "json" && f.format.find("{{") == std::string::npos)
        throw Error("ps --format " + f.format + ": use table, json or a {{.Field}} template");
    if (!f.quiet && f.format == "table")
        std::printf("%-12s   %-24s %-22s %-16s %-28s %-20s %s\n", "CONTAINER ID", "IMAGE",
                    "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES");
    for (const std::string& id : eng.containers().ids()) {
        engine::ContainerRecord r;
        engine::RunState st;
        try {
            r = eng.containers().load(id);
            st = eng.state(id);
        } catch (const Error&) {
            continue;  // removed meanwhile
        }
        bool up = st.status == "running" || st.status == "restarting";
        if (!f.all && !up) continue;
        bool paused = st.status == "running" && engine::container_paused(eng.containers(), id);
        std::string status = status_text(st, paused), ports = ports_text(r, up);
        if (f.quiet) {
            std::printf("%s\n", id.substr(0, 12).c_str());
            continue;
        }
        std::string command = r.path;
        for (const std::string& a : r.args) command += " " + a;
        json row = {{"ID", id.substr(0, 12)},
                    {"Image", r.config.image},
                    {"Command", command},
                    {"CreatedAt", r.created},
                    {"RunningFor", ago(now_seconds() - engine::parse_rfc3339(r.created))},
                    {"State", paused ? "paused" : st.status},
                    {"Status", status},
                    {"Ports", ports},
                    {"Names", r.name},
                    {"Labels", r.config.labels}};
        if (f.format == "json") {
            std::printf("%s\n", row.dump().c_str());
        } else if (f.format != "table") {
            std::printf("%s\n", engine::apply_format(row, f.format).c_str());
        } else {
            std::string cmd = "\"" + command + "\"";
            if (cmd.size() > 22) cmd = cmd.substr(0, 20) + "…\"";
            std::printf("%-12s   %-24s %-22s %-16s %-28s %-20s %s\n", id.substr(0, 12).c_str(),
                        r.config.image.substr(0, 24).c_str(), cmd.c_str(),
                        (row["RunningFor"].get<std::string>() + " ago").c_str(), status.c_str(),
                        ports.c_str(), r.name.c_str());
        }
    }
    return 0;
}

int inspect(const GlobalFlags& g, const QueryFlags& f) {
    engine::Engine eng(g.root, g.run_root);
    json out = json::array();
    int rc = 0;
    if (!f.type.empty() && f.type != "container" && f.type != "image" && f.type != "volume" &&
        f.type != "network")
        throw Error("inspect --type " + f.type + ": use container, image, volume or network");
    for (const std::string& ref : f.refs) {
        int code = container_action([&] {
            if (f.type.empty() || f.type == "container") {
                try {
                    out.push_back(engine::inspect_container(eng, eng.containers().resolve(ref)));
                    return 0;
                } catch (const Error&) {
                    if (f.type == "container") throw;
                }
            }
            if (f.type.empty() || f.type == "image") {
                images::Store::Lock lock(eng.images(), false);
                auto image = eng.images().find(ref);
                if (image) {
                    out.push_back(images::inspect_image(eng.images(), *image));
                    return 0;
                }
            }
            if (f.type.empty() || f.type == "volume") {
                try {
                    out.push_back(engine::VolumeStore(g.root).get(ref).inspect_json());
                    return 0;
                } catch (const Error&) {
                    if (f.type == "volume") throw;
                }
            }
            if (f.type.empty() || f.type == "network") {
                try {
                    netns::Networks networks(netns::NetworksConfig::for_root(g.root));
                    out.push_back(netns::inspect_view(networks.get(ref)));
                    return 0;
                } catch (const Error&) {
                    if (f.type == "network") throw;
                }
            }
            throw Error("No such object: " + ref);
        });
        if (code) rc = 1;
    }
    if (f.format.empty() || f.format == "table") {
        std::cout << out.dump(4) << "\n";
    } else {
        for (const json& doc : out) {
            int code = container_action([&] {
                std::cout << (f.format == "json" ? doc.dump(4)
                                                 : engine::apply_format(doc, f.format))
                          << "\n";
                return 0;
            });
            if (code) rc = code;
        }
    }
    return rc;
}

int logs(const GlobalFlags& g, const QueryFlags& f) {
    engine::Engine eng(g.root, g.run_root);
    engine::print_logs(eng, eng.containers().resolve(f.refs.front()), f.logs, stdout, stderr);
    return 0;
}

}  // namespace

void add_query_verbs(CLI::App& app, GlobalFlags& g, Action& action) {
    auto f = std::make_shared<QueryFlags>();
    CLI::App* ps_cmd = app.add_subcommand("ps", "list containers");
    ps_cmd->add_flag("-a,--all", f->all, "also the ones not running");
    ps_cmd->add_flag("-q,--quiet", f->quiet, "only IDs");
    ps_cmd->add_option("--format", f->format, "table, json (one object per line) or a template");
    ps_cmd->callback(
        [&, f] { action = [&g, f] { return container_action([&] { return ps(g, *f); }); }; });

    CLI::App* insp = app.add_subcommand("inspect", "JSON of containers and images");
    insp->add_option("NAME", f->refs, "container or image: name, ID or unique ID prefix")
        ->required();
    insp->add_option("--type", f->type, "container, image, volume or network");
    insp->add_option("-f,--format", f->format, "a {{.Field.Path}} template, or json");
    insp->callback(
        [&, f] { action = [&g, f] { return container_action([&] { return inspect(g, *f); }); }; });

    CLI::App* logs_cmd = app.add_subcommand("logs", "a container's output");
    logs_cmd->add_option("CONTAINER", f->refs, "name, ID or unique ID prefix")->required();
    logs_cmd->add_flag("-f,--follow", f->logs.follow, "keep printing until the container stops");
    logs_cmd->add_option("-n,--tail", f->logs.tail, "only the last N lines");
    logs_cmd->add_flag("-t,--timestamps", f->logs.timestamps, "prefix each line with its time");
    logs_cmd->callback(
        [&, f] { action = [&g, f] { return container_action([&] { return logs(g, *f); }); }; });
}

}  // namespace berth::cli
