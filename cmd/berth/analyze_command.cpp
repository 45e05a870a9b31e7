// berth image analyze [REF | --archive FILE | --layout DIR | --remote REF] [-o table|json|csv]
//                     [--tree [--layer N] [--changed]] [--ci [--ci-config FILE] [rules...]]
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "berth/error.h"
#include "berth/file_io.h"
#include "berth/images/analyze.h"
#include "berth/images/analyze_ci.h"
#include "berth/images/store.h"
#include "commands.h"
#include "pull_progress.h"

namespace berth::cli {
namespace {

struct AnalyzeFlags {
    std::string ref, archive, layout, remote;
    std::string output = "table", platform = "linux/amd64";
    bool insecure = false, tree = false, changed = false, ci = false;
    int layer = -1, top = 10, parallel = 2;
    std::string ci_config = ".berth-ci";
    std::string lowest_efficiency, highest_wasted_bytes, highest_user_wasted_percent;
};

std::string hb(uint64_t bytes) {
    return human_bytes(double(bytes));
}

std::string short_digest(const images::Digest& d) {
    return d.empty() ? "-" : d.hex().substr(0, 12);
}

std::string count(const images::ChangeCount& c) {
    return c.files ? std::to_string(c.files) + " (" + hb(c.bytes) + ")" : "-";
}

std::string one_line(std::string s, size_t max) {
    for (char& c : s)
        if (c == '\n' || c == '\t') c = ' ';
    if (s.rfind("/bin/sh -c #(nop) ", 0) == 0) s = s.substr(18);
    if (s.rfind("/bin/sh -c ", 0) == 0) s = "RUN " + s.substr(11);
    return s.size() <= max ? s : s.substr(0, max - 3) + "...";
}

void print_table(const images::ImageAnalysis& a, int top) {
    std::printf("Image:        %s (%s, %s)\n", a.reference.c_str(), a.source.c_str(),
                a.id.short_str().c_str());
    std::printf("Size:         %s in %zu layers (user layers %s), %s compressed, %llu files\n",
                hb(a.size_bytes).c_str(), a.layers.size(), hb(a.user_size_bytes).c_str(),
                hb(a.compressed_bytes).c_str(), static_cast<unsigned long long>(a.files));
    std::printf("Efficiency:   %.4f\n", a.efficiency);
    std::printf("Wasted:       %s (%.2f%% of the user layers)\n\n", hb(a.wasted_bytes).c_str(),
                a.user_wasted_percent * 100);
    std::printf("%-5s %-12s %10s %10s %14s %14s %14s  %s\n", "LAYER", "DIGEST", "COMPRESSED",
                "SIZE", "ADDED", "MODIFIED", "REMOVED", "COMMAND");
    for (const images::LayerAnalysis& l : a.layers)
        std::printf("%-5d %-12s %10s %10s %14s %14s %14s  %s\n", l.index,
                    short_digest(l.digest).c_str(), hb(l.compressed_bytes).c_str(),
                    hb(l.size_bytes).c_str(), count(l.added).c_str(), count(l.modified).c_str(),
                    count(l.removed).c_str(), one_line(l.command, 60).c_str());
    if (!a.wasted.empty()) {
        std::printf("\nWasted paths (%zu, biggest first):\n%-6s %10s  %s\n", a.wasted.size(),
                    "LAYERS", "BYTES", "PATH");
        for (size_t i = 0; i < a.wasted.size() && i < static_cast<size_t>(top); ++i)
            std::printf("%-6u %10s  %s\n", a.wasted[i].count, hb(a.wasted[i].bytes).c_str(),
                        a.wasted[i].path.c_str());
    }
    if (!a.hints.empty()) {
        std::printf("\nHints:\n");
        for (const images::Hint& h : a.hints) {
            std::printf("  %-9s %s: %s\n", h.bytes ? hb(h.bytes).c_str() : "-", h.kind.c_str(),
                        h.message.c_str());
            std::string paths;
            for (const std::string& p : h.paths) paths += (paths.empty() ? "" : ", ") + p;
            if (!paths.empty()) std::printf("            %s\n", paths.c_str());
        }
    }
}

void print_tree(const images::ImageAnalysis& a) {
    std::printf("\nFile tree as of layer %d (A added, M modified, D removed by that layer):\n",
                a.tree_layer);
    for (const images::TreeLine& t : a.tree) {
        std::string name = std::string(size_t(t.depth) * 2, ' ') + t.name;
        if (t.kind == 'd') name += "/";
        if (!t.link.empty()) name += (t.kind == 'h' ? " => " : " -> ") + t.link;
        std::printf("%c %10s  %s\n", t.change, hb(t.size).c_str(), name.c_str());
    }
}

int analyze(const GlobalFlags& g, const AnalyzeFlags& f) {
    int sources = !f.ref.empty() + !f.archive.empty() + !f.layout.empty() + !f.remote.empty();
    if (sources != 1)
        throw Error("image analyze: give exactly one of REF, --archive, --layout, --remote");
    if (f.layer >= 0 && !f.tree) throw Error("image analyze: --layer goes with --tree");
    images::CiRules rules;
    if (f.ci) {
        bool named = f.ci_config != ".berth-ci";
        if (named || path_exists(f.ci_config)) images::load_ci_file(rules, f.ci_config);
        auto flag = [&](const char* key, const std::string& v) {
            if (!v.empty()) images::set_ci_rule(rules, key, v, "--ci");
        };
        flag("lowestEfficiency", f.lowest_efficiency);
        flag("highestWastedBytes", f.highest_wasted_bytes);
        flag("highestUserWastedPercent", f.highest_user_wasted_percent);
    }
    images::AnalyzeOptions options;
    images::PullOptions platform;
    images::parse_platform(f.platform, platform);
    options.os = platform.os;
    options.architecture = platform.architecture;
    options.remote.variant = platform.variant;
    options.remote.insecure = f.insecure;
    options.credentials_root = g.root;
    options.parallel = f.parallel;
    if (f.tree) options.tree_layer = f.layer >= 0 ? f.layer : images::kTreeFinal;
    options.tree_changed_only = f.changed;

    images::ImageAnalysis a;
    if (!f.ref.empty()) {
        images::Store store(g.root);
        a = images::analyze_stored(store, f.ref, options);
    } else if (!f.archive.empty()) {
        a = images::analyze_archive(f.archive, options);
    } else if (!f.layout.empty()) {
        a = images::analyze_layout(f.layout, options);
    } else {
        a = images::analyze_remote(f.remote, options);
    }

    std::vector<images::CiOutcome> outcomes;
    bool failed = false;
    if (f.ci) {
        outcomes = images::evaluate_ci(a, rules);
        for (const images::CiOutcome& o : outcomes) failed = failed || (o.enabled && !o.pass);
    }
    if (f.output == "json") {
        nlohmann::json j = images::analysis_json(a);
        if (f.ci) {
            nlohmann::json rules_json = nlohmann::json::array();
            for (const images::CiOutcome& o : outcomes)
                rules_json.push_back({{"rule", o.rule},
                                      {"status", !o.enabled ? "skip"
                                                 : o.pass   ? "pass"
                                                            : "fail"},
                                      {"detail", o.detail}});
            j["ci"] = {{"pass", !failed}, {"rules", rules_json}};
        }
        std::cout << j.dump(2) << "\n";
    } else if (f.output == "csv") {
        std::cout << images::layers_csv(a);
    } else {
        print_table(a, f.top);
        if (f.tree) print_tree(a);
    }
    if (f.ci && f.output != "json") {
        // CI output goes to stderr when stdout carries CSV, so the CSV stays parseable.
        std::FILE* out = f.output == "csv" ? stderr : stdout;
        std::fprintf(out, "\nCI rules:\n");
        int pass = 0, fail = 0, skip = 0;
        for (const images::CiOutcome& o : outcomes) {
            const char* status = !o.enabled ? "SKIP" : o.pass ? "PASS" : "FAIL";
            (!o.enabled ? skip : o.pass ? pass : fail)++;
            std::fprintf(out, "  %s: %s (%s)\n", status, o.rule.c_str(),
                         o.enabled ? o.detail.c_str() : "disabled");
        }
        std::fprintf(out, "Result: %s [%d passed, %d failed, %d skipped]\n",
                     failed ? "FAIL" : "PASS", pass, fail, skip);
    }
    return failed ? 1 : 0;
}

}  // namespace

void add_image_analyze(CLI::App& image, GlobalFlags& g, Action& action) {
    auto f = std::make_shared<AnalyzeFlags>();
    CLI::App* cmd = image.add_subcommand(
        "analyze", "where an image's bytes are, what is wasted (dive's metrics) and hints");
    cmd->add_option("REF", f->ref, "image in the store (name, tag or ID)");
    cmd->add_option("--archive", f->archive, "a docker save archive or OCI layout tar");
    cmd->add_option("--layout", f->layout, "an OCI layout directory");
    cmd->add_option("--remote", f->remote, "registry/repo[:tag|@digest], read from the registry");
    cmd->add_flag("--insecure", f->insecure, "--remote: allow plain http, unverified https");
    cmd->add_option("--platform", f->platform, "os/arch[/variant] to pick from an index")
        ->capture_default_str();
    cmd->add_option("-o,--output", f->output, "table, json or csv (the layer table)")
        ->check(CLI::IsMember({"table", "json", "csv"}))
        ->capture_default_str();
    cmd->add_flag("--tree", f->tree, "show the file tree (the final image unless --layer)");
    cmd->add_option("--layer", f->layer, "--tree: the image as of layer N, its changes marked")
        ->check(CLI::NonNegativeNumber);
    cmd->add_flag("--changed", f->changed, "--tree: only changed entries and their directories");
    cmd->add_option("--top", f->top, "wasted paths shown in the table")->capture_default_str();
    cmd->add_option("--parallel", f->parallel, "layers read at once")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    cmd->add_flag("--ci", f->ci, "check the CI rules; exit 1 if one fails");
    cmd->add_option("--ci-config", f->ci_config, "rules file (dive's keys)")->capture_default_str();
    cmd->add_option("--lowest-efficiency", f->lowest_efficiency, "--ci: e.g. 0.9, or disabled");
    cmd->add_option("--highest-wasted-bytes", f->highest_wasted_bytes,
                    "--ci: e.g. 20MB, or disabled");
    cmd->add_option("--highest-user-wasted-percent", f->highest_user_wasted_percent,
                    "--ci: a ratio (0.1) or 10%, or disabled");
    cmd->callback([&, f] { action = [&g, f] { return analyze(g, *f); }; });
}

}  // namespace berth::cli
