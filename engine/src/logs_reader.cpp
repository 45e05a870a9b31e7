// `logs [-f] [--tail N] [--timestamps]`: reads the rotated files oldest first, then follows
// container.log by inode, so a rotation while following loses nothing.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <nlohmann/json.hpp>
#include <thread>

#include "berth/engine/engine.h"
#include "berth/engine/logs.h"
#include "berth/error.h"

namespace berth::engine {
namespace {

struct Printer {
    const LogsOptions& options;
    std::FILE *out, *err;
    void line(const std::string& json_line) {
        auto j = nlohmann::json::parse(json_line, nullptr, false);
        if (j.is_discarded() || !j.is_object()) return;
        std::string text = j.value("log", "");
        std::FILE* f = j.value("stream", "") == "stderr" ? err : out;
        if (options.timestamps) std::fprintf(f, "%s ", j.value("time", "").c_str());
        std::fwrite(text.data(), 1, text.size(), f);
        std::fflush(f);
    }
};

// Reads complete lines from fd, keeping a trailing partial line in `rest`.
void read_lines(int fd, std::string& rest, const std::function<void(const std::string&)>& each) {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) {
        rest.append(buf, static_cast<size_t>(n));
        size_t start = 0, nl;
        while ((nl = rest.find('\n', start)) != std::string::npos) {
            each(rest.substr(start, nl - start));
            start = nl + 1;
        }
        rest.erase(0, start);
    }
}

ino_t inode_of(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

}  // namespace

void print_logs(Engine& engine, const std::string& id, const LogsOptions& options, std::FILE* out,
                std::FILE* err) {
    const ContainerStore& store = engine.containers();
    std::string path = store.log_path(id);
    Printer printer{options, out, err};
    std::vector<std::string> files;
    for (int i = 9; i >= 1; --i)
        if (inode_of(path + "." + std::to_string(i)))
            files.push_back(path + "." + std::to_string(i));
    UniqueFd live(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    ino_t live_inode = inode_of(path);

    std::deque<std::string> kept;  // --tail: only the last N lines of everything
    auto collect = [&](const std::string& l) {
        if (options.tail < 0) return printer.line(l);
        kept.push_back(l);
        if (static_cast<long>(kept.size()) > options.tail) kept.pop_front();
    };
    std::string rest;
    for (const std::string& f : files) {
        UniqueFd fd(::open(f.c_str(), O_RDONLY | O_CLOEXEC));
        if (fd) read_lines(fd.get(), rest, collect);
        rest.clear();
    }
    if (live) read_lines(live.get(), rest, collect);
    for (const std::string& l : kept) printer.line(l);
    if (!options.follow) return;

    auto emit = [&](const std::string& l) { printer.line(l); };
    for (;;) {
        std::string status = engine.state(id).status;
        bool running = status == "running" || status == "restarting";
        if (live) read_lines(live.get(), rest, emit);
        ino_t now = inode_of(path);
        if (now && now != live_inode) {
            // Rotated: the writer never touches the old file again, so read it to its end
            // once more and continue with the new one.
            if (live) read_lines(live.get(), rest, emit);
            live.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
            live_inode = now;
            rest.clear();
            continue;
        }
        if (!running) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace berth::engine
