#include <cstdio>
#include <nlohmann/json.hpp>

#include "berth/runtime/runtime.h"
#include "commands.h"

namespace berth::cli {
namespace {

std::string timestamp() {
    time_t now = time(nullptr);
    tm utc;
    gmtime_r(&now, &utc);
    char buf[32];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return buf;
}

}  // namespace

void report_error(const GlobalFlags& globals, const std::string& message) {
    std::fprintf(stderr, "berth-runtime: %s\n", message.c_str());
    if (globals.log_file.empty()) return;
    FILE* log = std::fopen(globals.log_file.c_str(), "ae");
    if (!log) return;
    std::string line;
    if (globals.log_format == "json")
        line = nlohmann::json{{"level", "error"}, {"msg", message}, {"time", timestamp()}}.dump();
    else
        line = "time=\"" + timestamp() + "\" level=error msg=" + nlohmann::json(message).dump();
    std::fprintf(log, "%s\n", line.c_str());
    std::fclose(log);
}

}  // namespace berth::cli
