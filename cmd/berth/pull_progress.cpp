#include "pull_progress.h"

namespace berth::cli {

std::string human_bytes(double v) {
    const char* units[] = {"B", "kB", "MB", "GB", "TB"};
    int u = 0;
    while (v >= 1000 && u < 4) v /= 1000, ++u;
    char buf[32];
    std::snprintf(buf, sizeof buf, u ? "%.1f%s" : "%.0f%s", v, units[u]);
    return buf;
}

void PullDisplay::redraw(size_t row) {
    // Move up to the row, rewrite it, come back down: earlier rows stay where they are.
    size_t up = rows_.size() - row;
    std::fprintf(out_, "\033[%zuA\r\033[2K%s\033[%zuB\r", up, rows_[row].text.c_str(), up);
    std::fflush(out_);
}

void PullDisplay::update(const images::PullProgress& p) {
    using Kind = images::PullProgress::Kind;
    std::string id = p.digest.short_str();
    std::string line;
    switch (p.kind) {
        case Kind::exists:
            line = id + ": already exists";
            break;
        case Kind::start:
            line = id + ": downloading " + p.what + " (" + human_bytes(double(p.total)) + ")";
            break;
        case Kind::data: {
            double rate = p.seconds > 0 ? double(p.bytes) / p.seconds : 0;
            line = id + ": " + human_bytes(double(p.bytes)) + " / " + human_bytes(double(p.total)) +
                   "  " + human_bytes(rate) + "/s";
            break;
        }
        case Kind::done: {
            double rate = p.seconds > 0 ? double(p.bytes) / p.seconds : 0;
            line = id + ": pulled " + p.what + " " + human_bytes(double(p.bytes)) + " in " +
                   std::to_string(int(p.seconds * 1000)) + " ms (" + human_bytes(rate) + "/s)";
            break;
        }
    }
    if (!terminal_) {
        // Plain output: only the lines that say something final.
        if (p.kind != Kind::data && p.kind != Kind::start) std::fprintf(out_, "%s\n", line.c_str());
        return;
    }
    for (size_t i = 0; i < rows_.size(); ++i) {
        if (rows_[i].digest == p.digest) {
            rows_[i].text = line;
            redraw(i);
            return;
        }
    }
    rows_.push_back({p.digest, line});
    std::fprintf(out_, "%s\n", line.c_str());
    std::fflush(out_);
}

}  // namespace berth::cli
