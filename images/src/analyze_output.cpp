// The machine-readable forms of an analysis; field names are documented in docs/analyze.md
// and only ever added to (schemaVersion changes if one changes meaning).
#include "berth/images/analyze.h"

namespace berth::images {
namespace {

nlohmann::json change(const ChangeCount& c) {
    return {{"files", c.files}, {"bytes", c.bytes}};
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string kind_name(char kind) {
    switch (kind) {
        case 'd':
            return "dir";
        case 'l':
            return "symlink";
        case 'h':
            return "hardlink";
        case 'o':
            return "other";
        default:
            return "file";
    }
}

}  // namespace

nlohmann::json analysis_json(const ImageAnalysis& a) {
    nlohmann::json layers = nlohmann::json::array();
    for (const LayerAnalysis& l : a.layers)
        layers.push_back({{"index", l.index},
                          {"digest", l.digest.str()},
                          {"diffId", l.diff_id.str()},
                          {"mediaType", l.media_type},
                          {"compressedBytes", l.compressed_bytes},
                          {"uncompressedBytes", l.uncompressed_bytes},
                          {"sizeBytes", l.size_bytes},
                          {"entries", l.entries},
                          {"command", l.command},
                          {"comment", l.comment},
                          {"created", l.created},
                          {"added", change(l.added)},
                          {"modified", change(l.modified)},
                          {"removed", change(l.removed)}});
    nlohmann::json wasted = nlohmann::json::array();
    for (const WastedPath& w : a.wasted)
        wasted.push_back({{"path", w.path}, {"count", w.count}, {"bytes", w.bytes}});
    nlohmann::json hints = nlohmann::json::array();
    for (const Hint& h : a.hints)
        hints.push_back({{"kind", h.kind},
                         {"message", h.message},
                         {"bytes", h.bytes},
                         {"paths", h.paths},
                         {"layers", h.layers}});
    nlohmann::json out = {{"schemaVersion", 1},
                          {"source", a.source},
                          {"reference", a.reference},
                          {"image",
                           {{"id", a.id.str()},
                            {"manifest", a.manifest.str()},
                            {"os", a.os},
                            {"architecture", a.architecture},
                            {"user", a.user},
                            {"sizeBytes", a.size_bytes},
                            {"userSizeBytes", a.user_size_bytes},
                            {"compressedBytes", a.compressed_bytes},
                            {"files", a.files},
                            {"efficiency", a.efficiency},
                            {"wastedBytes", a.wasted_bytes},
                            {"userWastedPercent", a.user_wasted_percent}}},
                          {"layers", layers},
                          {"wasted", wasted},
                          {"hints", hints}};
    if (a.tree_layer >= 0) {
        nlohmann::json entries = nlohmann::json::array();
        for (const TreeLine& t : a.tree) {
            nlohmann::json e = {{"path", t.path},
                                {"kind", kind_name(t.kind)},
                                {"size", t.size},
                                {"change", std::string(1, t.change == ' ' ? '-' : t.change)}};
            if (!t.link.empty()) e["link"] = t.link;
            entries.push_back(e);
        }
        out["tree"] = {{"layer", a.tree_layer}, {"entries", entries}};
    }
    return out;
}

std::string layers_csv(const ImageAnalysis& a) {
    std::string out =
        "index,digest,diff_id,media_type,compressed_bytes,uncompressed_bytes,size_bytes,entries,"
        "added_files,added_bytes,modified_files,modified_bytes,removed_files,removed_bytes,"
        "command\n";
    auto n = [](uint64_t v) { return std::to_string(v); };
    for (const LayerAnalysis& l : a.layers)
        out += std::to_string(l.index) + "," + l.digest.str() + "," + l.diff_id.str() + "," +
               csv_field(l.media_type) + "," + n(l.compressed_bytes) + "," +
               n(l.uncompressed_bytes) + "," + n(l.size_bytes) + "," + n(l.entries) + "," +
               n(l.added.files) + "," + n(l.added.bytes) + "," + n(l.modified.files) + "," +
               n(l.modified.bytes) + "," + n(l.removed.files) + "," + n(l.removed.bytes) + "," +
               csv_field(l.command) + "\n";
    return out;
}

}  // namespace berth::images
