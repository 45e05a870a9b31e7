// berth image history [--no-trunc] [--format json] REF
// berth image prune
#include <ctime>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "berth/error.h"
#include "berth/images/history.h"
#include "berth/images/store.h"
#include "commands.h"
#include "pull_progress.h"

namespace berth::cli {
namespace {

struct HistoryFlags {
    std::string ref, format = "table";
    bool no_trunc = false;
};

// "3 days ago", docker's wording; an unparsable time is shown as given.
std::string since(const std::string& created) {
    std::tm tm{};
    if (created.empty() || !::strptime(created.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return created;
    double s = std::difftime(std::time(nullptr), ::timegm(&tm));
    auto ago = [](double n, const char* unit) {
        long v = static_cast<long>(n);
        return std::to_string(v) + " " + unit + (v == 1 ? "" : "s") + " ago";
    };
    if (s < 1) return "Less than a second ago";
    if (s < 60) return ago(s, "second");
    if (s < 3600) return ago(s / 60, "minute");
    if (s < 48 * 3600) return ago(s / 3600, "hour");
    if (s < 14 * 86400) return ago(s / 86400, "day");
    if (s < 60 * 86400) return ago(s / (7 * 86400), "week");
    if (s < 2 * 365 * 86400) return ago(s / (30 * 86400), "month");
    return ago(s / (365.25 * 86400), "year");
}

// docker's ellipsis: the first n-1 characters and "…".
std::string truncate(const std::string& s, size_t n) {
    return s.size() <= n ? s : s.substr(0, n - 1) + "\u2026";
}

int history(const GlobalFlags& g, const HistoryFlags& f) {
    images::Store store(g.root);
    images::Store::Lock lock(store, false);
    std::vector<images::HistoryEntry> entries = images::image_history(store, store.resolve(f.ref));
    if (f.format == "json") {
        // One object per line, docker's field names (Size human, SizeBytes for scripts).
        for (const images::HistoryEntry& e : entries)
            std::cout << nlohmann::json{{"ID", e.id},
                                        {"CreatedAt", e.created},
                                        {"CreatedSince", since(e.created)},
                                        {"CreatedBy", e.created_by},
                                        {"Size", human_bytes(double(e.size))},
                                        {"SizeBytes", e.size},
                                        {"Comment", e.comment}}
                             .dump()
                      << "\n";
        return 0;
    }
    std::printf("%-12s   %-18s %-45s   %-10s %s\n", "IMAGE", "CREATED", "CREATED BY", "SIZE",
                "COMMENT");
    for (const images::HistoryEntry& e : entries) {
        std::string id = e.id;
        if (!f.no_trunc && id.rfind("sha256:", 0) == 0) id = id.substr(7, 12);
        std::string by = f.no_trunc ? e.created_by : truncate(e.created_by, 45);
        std::printf("%-12s   %-18s %-45s   %-10s %s\n", id.c_str(), since(e.created).c_str(),
                    by.c_str(), human_bytes(double(e.size)).c_str(), e.comment.c_str());
    }
    return 0;
}

int prune(const GlobalFlags& g) {
    images::Store store(g.root);
    images::Store::Pruned p = store.prune();
    if (!p.images.empty()) {
        std::printf("Deleted Images:\n");
        for (const images::Digest& id : p.images) std::printf("deleted: %s\n", id.str().c_str());
        std::printf("\n");
    }
    std::printf("Deleted %d blobs and %d layers\n", p.collected.blobs, p.collected.layers);
    std::printf("Total reclaimed space: %s (blobs)\n",
                human_bytes(double(p.collected.blob_bytes)).c_str());
    return 0;
}

}  // namespace

void add_image_history_prune(CLI::App& image, GlobalFlags& g, Action& action) {
    auto flags = std::make_shared<HistoryFlags>();
    CLI::App* hist = image.add_subcommand("history", "show the steps that built an image");
    hist->add_option("REF", flags->ref, "image name, tag or ID")->required();
    hist->add_flag("--no-trunc", flags->no_trunc, "full IDs and commands");
    hist->add_option("--format", flags->format, "table or json (one object per line)")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    hist->callback([&, flags] { action = [&g, flags] { return history(g, *flags); }; });

    CLI::App* pr = image.add_subcommand(
        "prune", "remove untagged images, then blobs and layers no image uses");
    pr->callback([&] { action = [&g] { return prune(g); }; });
}

}  // namespace berth::cli
