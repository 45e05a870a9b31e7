// berth volume create | ls | inspect | rm | prune
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <vector>

#include "berth/engine/volumes.h"
#include "berth/error.h"
#include "commands.h"
#include "pull_progress.h"

namespace berth::cli {
namespace {

struct VolumeFlags {
    std::string name, driver = "local", format = "table";
    std::vector<std::string> names, labels, filters;
    bool quiet = false, force = false, all = false;
};

std::map<std::string, std::string> parse_labels(const std::vector<std::string>& labels) {
    std::map<std::string, std::string> out;
    for (const std::string& l : labels) {
        size_t eq = l.find('=');
        std::string key = l.substr(0, eq);
        if (key.empty()) throw Error("invalid label \"" + l + "\": KEY=VALUE or KEY expected");
        out[key] = eq == std::string::npos ? "" : l.substr(eq + 1);
    }
    return out;
}

int create(const GlobalFlags& g, const VolumeFlags& f) {
    if (f.driver != "local") throw Error("volume driver \"" + f.driver + "\" is not supported");
    if (!f.name.empty() && f.names.size() == 1 && f.names[0] != f.name)
        throw Error("conflicting volume names: --name " + f.name + " and " + f.names[0]);
    if (f.names.size() > 1) throw Error("volume create takes at most one NAME");
    std::string name = !f.name.empty() ? f.name : f.names.empty() ? "" : f.names[0];
    engine::VolumeStore store(g.root);
    std::printf("%s\n", store.create(name, parse_labels(f.labels)).name.c_str());
    return 0;
}

// docker's ls filters: dangling=true|false, name=SUBSTRING, label=KEY or label=KEY=VALUE.
bool matches(const engine::VolumeStore& store, const engine::Volume& v,
             const std::vector<std::string>& filters) {
    for (const std::string& filter : filters) {
        size_t eq = filter.find('=');
        if (eq == std::string::npos) throw Error("invalid filter \"" + filter + "\": KEY=VALUE");
        std::string key = filter.substr(0, eq), value = filter.substr(eq + 1);
        if (key == "dangling") {
            if (value != "true" && value != "false" && value != "1" && value != "0")
                throw Error("invalid filter \"" + filter + "\": dangling is true or false");
            bool dangling = store.live_users(v).empty();
            if (dangling != (value == "true" || value == "1")) return false;
        } else if (key == "name") {
            if (v.name.find(value) == std::string::npos) return false;
        } else if (key == "label") {
            size_t veq = value.find('=');
            auto it = v.labels.find(value.substr(0, veq));
            if (it == v.labels.end()) return false;
            if (veq != std::string::npos && it->second != value.substr(veq + 1)) return false;
        } else {
            throw Error("invalid filter \"" + key + "\": dangling, name or label");
        }
    }
    return true;
}

int list(const GlobalFlags& g, const VolumeFlags& f) {
    engine::VolumeStore store(g.root);
    std::vector<engine::Volume> volumes;
    for (engine::Volume& v : store.list())
        if (matches(store, v, f.filters)) volumes.push_back(std::move(v));
    if (f.quiet) {
        for (const engine::Volume& v : volumes) std::printf("%s\n", v.name.c_str());
    } else if (f.format == "json") {
        for (const engine::Volume& v : volumes) {
            std::string labels;
            for (const auto& [k, val] : v.labels)
                labels += (labels.empty() ? "" : ",") + k + "=" + val;
            std::cout << nlohmann::json{{"Driver", "local"},
                                        {"Labels", labels},
                                        {"Mountpoint", v.mountpoint},
                                        {"Name", v.name},
                                        {"Scope", "local"}}
                             .dump()
                      << "\n";
        }
    } else {
        std::printf("%-10s%s\n", "DRIVER", "VOLUME NAME");
        for (const engine::Volume& v : volumes) std::printf("%-10s%s\n", "local", v.name.c_str());
    }
    return 0;
}

int inspect(const GlobalFlags& g, const VolumeFlags& f) {
    engine::VolumeStore store(g.root);
    nlohmann::json out = nlohmann::json::array();
    int rc = 0;
    for (const std::string& name : f.names) {
        try {
            out.push_back(store.get(name).inspect_json());
        } catch (const Error& e) {
            std::fprintf(stderr, "berth: %s\n", e.what());
            rc = 1;
        }
    }
    std::cout << out.dump(4) << "\n";
    return rc;
}

int remove(const GlobalFlags& g, const VolumeFlags& f) {
    engine::VolumeStore store(g.root);
    int rc = 0;
    for (const std::string& name : f.names) {
        try {
            store.remove(name, f.force);
            std::printf("%s\n", name.c_str());
        } catch (const Error& e) {
            std::fprintf(stderr, "berth: %s\n", e.what());
            rc = 1;
        }
    }
    return rc;
}

int prune(const GlobalFlags& g, const VolumeFlags& f) {
    if (!f.force && ::isatty(STDIN_FILENO)) {
        std::printf(
            "WARNING! This will remove %s volumes not used by at least one container.\n"
            "Are you sure you want to continue? [y/N] ",
            f.all ? "all local" : "anonymous local");
        std::fflush(stdout);
        char answer[16] = {};
        if (!std::fgets(answer, sizeof answer, stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
            return 0;
    }
    engine::VolumeStore store(g.root);
    engine::VolumeStore::Pruned p = store.prune(f.all);
    if (!p.names.empty()) {
        std::printf("Deleted Volumes:\n");
        for (const std::string& name : p.names) std::printf("%s\n", name.c_str());
        std::printf("\n");
    }
    std::printf("Total reclaimed space: %s\n", human_bytes(double(p.bytes)).c_str());
    return 0;
}

}  // namespace

void add_volume_commands(CLI::App& app, GlobalFlags& g, Action& action) {
    auto flags = std::make_shared<VolumeFlags>();
    CLI::App* volume = app.add_subcommand("volume", "manage volumes");
    volume->require_subcommand(1);
    auto bind = [&](CLI::App* cmd, int (*fn)(const GlobalFlags&, const VolumeFlags&)) {
        cmd->callback([&, flags, fn] { action = [&g, flags, fn] { return fn(g, *flags); }; });
    };

    CLI::App* create_cmd = volume->add_subcommand("create", "create a volume");
    create_cmd->add_option("NAME", flags->names, "volume name (random when left out)");
    create_cmd->add_option("--name", flags->name, "volume name");
    create_cmd->add_option("-d,--driver", flags->driver, "volume driver (only local)");
    create_cmd->add_option("--label", flags->labels, "KEY=VALUE metadata (repeatable)")
        ->allow_extra_args(false);
    bind(create_cmd, create);

    CLI::App* ls = volume->add_subcommand("ls", "list volumes");
    ls->alias("list");
    ls->add_flag("-q,--quiet", flags->quiet, "only names");
    ls->add_option("-f,--filter", flags->filters, "dangling=true|false, name=S, label=K[=V]")
        ->allow_extra_args(false);
    ls->add_option("--format", flags->format, "table or json (one object per line)")
        ->check(CLI::IsMember({"table", "json"}));
    bind(ls, list);

    CLI::App* insp = volume->add_subcommand("inspect", "show volumes as JSON");
    insp->add_option("NAME", flags->names, "volume name")->required();
    bind(insp, inspect);

    CLI::App* rm = volume->add_subcommand("rm", "remove volumes");
    rm->alias("remove");
    rm->add_option("NAME", flags->names, "volume name")->required();
    rm->add_flag("-f,--force", flags->force, "remove even when a container uses it");
    bind(rm, remove);

    CLI::App* pr = volume->add_subcommand("prune", "remove volumes no container uses");
    pr->add_flag("-a,--all", flags->all, "named volumes too, not only anonymous ones");
    pr->add_flag("-f,--force", flags->force, "do not ask for confirmation");
    bind(pr, prune);
}

}  // namespace berth::cli
