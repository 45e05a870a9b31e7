// berth cp | stats | top | rename | pause | unpause | container prune
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include "berth/engine/container_ops.h"
#include "berth/engine/stats.h"
#include "container_commands.h"
#include "pull_progress.h"

namespace berth::cli {
namespace {

struct ExtrasFlags {
    std::vector<std::string> refs;
    std::string source, destination, format = "table";
    bool no_stream = false, all = false, follow_link = false, archive = false, force = false;
};

// "NAME:PATH" -> {NAME, PATH}; a host path has no ':' before its first '/' (docker's rule:
// a local path with a colon must start with "/" or "./").
bool split_container_path(const std::string& arg, std::string& container, std::string& path) {
    size_t colon = arg.find(':');
    if (colon == std::string::npos || colon == 0) return false;
    if (arg[0] == '/' || arg.rfind("./", 0) == 0) return false;
    container = arg.substr(0, colon);
    path = arg.substr(colon + 1);
    if (path.empty()) path = "/";
    return true;
}

int copy(const GlobalFlags& g, const ExtrasFlags& f) {
    return container_action([&] {
        std::string src_ctr, src_path, dst_ctr, dst_path;
        bool from = split_container_path(f.source, src_ctr, src_path);
        bool to = split_container_path(f.destination, dst_ctr, dst_path);
        if (from == to)
            throw Error(from ? "copying between containers is not supported"
                             : "one of SRC and DEST must be CONTAINER:PATH");
        engine::Engine eng(g.root, g.run_root);
        engine::CopyOptions options;
        options.follow_link = f.follow_link;
        options.keep_owner = true;  // -a is what berth always does (modes and owners kept)
        if (from) {
            std::string id = eng.containers().resolve(src_ctr);
            if (f.destination == "-")  // docker cp CTR:PATH -: a tar stream on stdout
                engine::archive_from_container(engine::container_filesystem(eng, id), src_path,
                                               STDOUT_FILENO, options);
            else
                engine::copy_from_container(engine::container_filesystem(eng, id), src_path,
                                            f.destination, options);
        } else {
            std::string id = eng.containers().resolve(dst_ctr);
            if (f.source == "-")  // docker cp - CTR:DIR: a tar stream from stdin
                engine::extract_to_container(engine::container_filesystem(eng, id), STDIN_FILENO,
                                             dst_path, options);
            else
                engine::copy_to_container(engine::container_filesystem(eng, id), f.source, dst_path,
                                          options);
        }
        return 0;
    });
}

std::vector<std::string> stats_targets(engine::Engine& eng, const ExtrasFlags& f) {
    std::vector<std::string> ids;
    if (!f.refs.empty()) {
        for (const std::string& ref : f.refs) ids.push_back(eng.containers().resolve(ref));
        return ids;
    }
    for (const std::string& id : eng.containers().ids())
        if (f.all || eng.state(id).status == "running") ids.push_back(id);
    return ids;
}

int stats(const GlobalFlags& g, const ExtrasFlags& f) {
    return container_action([&] {
        engine::Engine eng(g.root, g.run_root);
        std::vector<std::string> ids = stats_targets(eng, f);
        std::vector<std::string> names;
        for (const std::string& id : ids) names.push_back(eng.containers().load(id).name);
        std::vector<engine::StatsSample> before;
        for (const std::string& id : ids) before.push_back(engine::sample_stats(eng, id));
        const bool terminal = ::isatty(STDOUT_FILENO) && f.format != "json";
        for (;;) {
            // CPU % needs an interval: docker's is about a second.
            std::this_thread::sleep_for(std::chrono::seconds(1));
            std::vector<engine::StatsRow> rows;
            for (size_t i = 0; i < ids.size(); ++i) {
                engine::StatsSample now = engine::sample_stats(eng, ids[i]);
                rows.push_back(engine::stats_row(ids[i], names[i], before[i], now));
                before[i] = now;
            }
            if (terminal && !f.no_stream) std::printf("\033[2J\033[H");
            if (f.format == "json") {
                for (const engine::StatsRow& r : rows)
                    std::cout << engine::stats_row_json(r).dump() << "\n";
            } else {
                std::printf("%s\n", engine::stats_table_header().c_str());
                for (const engine::StatsRow& r : rows)
                    std::printf("%s\n", engine::stats_table_line(r).c_str());
            }
            std::fflush(stdout);
            if (f.no_stream) return 0;
        }
    });
}

int top(const GlobalFlags& g, const ExtrasFlags& f) {
    return container_action([&] {
        engine::Engine eng(g.root, g.run_root);
        std::string id = eng.containers().resolve(f.source);
        if (eng.state(id).status != "running")
            throw Error("container " + f.source + " is not running");
        engine::TopTable t = engine::top_table(engine::container_processes(eng, id));
        if (f.format == "json") {
            std::cout << nlohmann::json{{"Titles", t.titles}, {"Processes", t.processes}}.dump()
                      << "\n";
            return 0;
        }
        std::vector<size_t> width(t.titles.size());
        for (size_t c = 0; c < t.titles.size(); ++c) {
            width[c] = t.titles[c].size();
            for (const auto& row : t.processes) width[c] = std::max(width[c], row[c].size());
        }
        auto print = [&](const std::vector<std::string>& row) {
            for (size_t c = 0; c + 1 < row.size(); ++c)
                std::printf("%-*s   ", static_cast<int>(width[c]), row[c].c_str());
            std::printf("%s\n", row.back().c_str());
        };
        print(t.titles);
        for (const auto& row : t.processes) print(row);
        return 0;
    });
}

int each(const GlobalFlags& g, const ExtrasFlags& f,
         void (*op)(engine::Engine&, const std::string&)) {
    engine::Engine eng(g.root, g.run_root);
    int rc = 0;
    for (const std::string& ref : f.refs) {
        int code = container_action([&] {
            op(eng, eng.containers().resolve(ref));
            std::printf("%s\n", ref.c_str());
            return 0;
        });
        if (code) rc = code;
    }
    return rc;
}

int rename(const GlobalFlags& g, const ExtrasFlags& f) {
    return container_action([&] {
        engine::Engine eng(g.root, g.run_root);
        eng.containers().rename(eng.containers().resolve(f.source), f.destination);
        return 0;
    });
}

int prune(const GlobalFlags& g, const ExtrasFlags& f) {
    return container_action([&] {
        if (!f.force && ::isatty(STDIN_FILENO)) {
            std::printf(
                "WARNING! This will remove all stopped containers.\n"
                "Are you sure you want to continue? [y/N] ");
            std::fflush(stdout);
            char answer[16] = {};
            if (!std::fgets(answer, sizeof answer, stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
                return 0;
        }
        engine::Engine eng(g.root, g.run_root);
        engine::PrunedContainers p = engine::prune_containers(eng);
        if (!p.ids.empty()) {
            std::printf("Deleted Containers:\n");
            for (const std::string& id : p.ids) std::printf("%s\n", id.c_str());
            std::printf("\n");
        }
        std::printf("Total reclaimed space: %s\n", human_bytes(double(p.bytes)).c_str());
        return 0;
    });
}

}  // namespace

void add_container_extras(CLI::App& app, GlobalFlags& g, Action& action) {
    auto f = std::make_shared<ExtrasFlags>();
    auto bind = [&](CLI::App* cmd, int (*fn)(const GlobalFlags&, const ExtrasFlags&)) {
        cmd->callback([&, f, fn] { action = [&g, f, fn] { return fn(g, *f); }; });
    };

    CLI::App* cp = app.add_subcommand(
        "cp", "copy files between a container and the host (CONTAINER:PATH on one side)");
    cp->add_option("SRC", f->source, "CONTAINER:PATH, a host path, or - (a tar stream on stdin)")
        ->required();
    cp->add_option("DEST", f->destination, "CONTAINER:PATH, a host path, or - (tar to stdout)")
        ->required();
    cp->add_flag("-L,--follow-link", f->follow_link, "copy what a source symlink points to");
    cp->add_flag("-a,--archive", f->archive, "keep uid/gid (always done)");
    bind(cp, copy);

    CLI::App* st = app.add_subcommand("stats", "CPU, memory and pids of containers");
    st->add_option("CONTAINER", f->refs, "name, ID or prefix (default: running containers)");
    st->add_flag("--no-stream", f->no_stream, "print one reading and exit");
    st->add_flag("-a,--all", f->all, "all containers, not only running ones");
    st->add_option("--format", f->format, "table or json (one object per line)")
        ->check(CLI::IsMember({"table", "json"}));
    bind(st, stats);

    CLI::App* tp = app.add_subcommand("top", "processes of a container (ps options ignored)");
    tp->add_option("CONTAINER", f->source, "name, ID or prefix")->required();
    tp->add_option("--format", f->format, "table or json")->check(CLI::IsMember({"table", "json"}));
    tp->allow_extras();
    bind(tp, top);

    CLI::App* rn = app.add_subcommand("rename", "give a container a new name");
    rn->add_option("CONTAINER", f->source, "name, ID or prefix")->required();
    rn->add_option("NEW_NAME", f->destination)->required();
    bind(rn, rename);

    CLI::App* pause = app.add_subcommand("pause", "freeze all processes of containers");
    pause->add_option("CONTAINER", f->refs, "name, ID or prefix")->required();
    pause->callback([&, f] { action = [&g, f] { return each(g, *f, engine::pause_container); }; });
    CLI::App* unpause = app.add_subcommand("unpause", "thaw paused containers");
    unpause->add_option("CONTAINER", f->refs, "name, ID or prefix")->required();
    unpause->callback(
        [&, f] { action = [&g, f] { return each(g, *f, engine::unpause_container); }; });

    // `container prune` (docker's group); the core's verbs stay top-level.
    CLI::App* group = nullptr;
    for (CLI::App* sub : app.get_subcommands({}))
        if (sub->get_name() == "container") group = sub;
    if (!group) {
        group = app.add_subcommand("container", "manage containers");
        group->require_subcommand(1);
    }
    CLI::App* pr = group->add_subcommand("prune", "remove all stopped containers");
    pr->add_flag("-f,--force", f->force, "do not ask for confirmation");
    bind(pr, prune);
}

}  // namespace berth::cli
