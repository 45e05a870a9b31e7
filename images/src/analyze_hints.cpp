#include "analyze_hints.h"

#include <algorithm>

namespace berth::images {
namespace {

constexpr size_t kTopPaths = 5;

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

bool has_component(std::string_view path, std::string_view comp) {
    size_t pos = 0;
    while (pos <= path.size()) {
        size_t slash = path.find('/', pos);
        if (slash == std::string_view::npos) slash = path.size();
        if (path.substr(pos, slash - pos) == comp) return true;
        pos = slash + 1;
    }
    return false;
}

// "a/b/.cache/pip/x" contains the run ".cache/pip" as whole components.
bool has_components(std::string_view path, std::string_view run) {
    std::string_view rest = path;
    for (size_t at; (at = rest.find(run)) != std::string_view::npos; rest = rest.substr(at + 1)) {
        bool begins = at == 0 || rest[at - 1] == '/';
        bool ends = at + run.size() == rest.size() || rest[at + run.size()] == '/';
        if (begins && ends) return true;
    }
    return false;
}

// The package manager whose cache or downloaded lists hold `path`, or "".
std::string cache_of(std::string_view path) {
    std::string_view base = path.substr(path.rfind('/') + 1);
    if (base == "lock") return "";  // package managers keep these; they are empty anyway
    if (starts_with(path, "var/cache/apt/") || starts_with(path, "var/lib/apt/lists/"))
        return "apt";
    if (starts_with(path, "var/cache/apk/") || starts_with(path, "etc/apk/cache/")) return "apk";
    if (starts_with(path, "var/cache/yum/") || starts_with(path, "var/cache/dnf/")) return "dnf";
    if (has_components(path, ".cache/pip")) return "pip";
    if (has_component(path, ".npm")) return "npm";
    if (has_components(path, ".cache/yarn")) return "yarn";
    if (has_components(path, ".cache/go-build")) return "go";
    return "";
}

const char* cache_advice(const std::string& manager) {
    if (manager == "apt")
        return "end the RUN that installs packages with `apt-get clean && rm -rf "
               "/var/lib/apt/lists/*`";
    if (manager == "apk") return "use `apk add --no-cache`";
    if (manager == "dnf") return "end the RUN with `dnf clean all` (or `yum clean all`)";
    if (manager == "pip") return "use `pip install --no-cache-dir`";
    if (manager == "npm") return "end the RUN with `npm cache clean --force` (or use `npm ci`)";
    if (manager == "yarn") return "end the RUN with `yarn cache clean`";
    return "use a build cache mount (`RUN --mount=type=cache,target=/root/.cache/go-build`)";
}

// Loose toolchain binaries, by file name in a bin directory.
std::string toolchain_binary(std::string_view path) {
    size_t slash = path.rfind('/');
    std::string_view dir = slash == std::string_view::npos ? "" : path.substr(0, slash);
    std::string_view name = path.substr(slash + 1);
    if (dir != "usr/bin" && dir != "bin" && dir != "usr/local/bin") return "";
    if (name == "make" || name == "gmake") return "make";
    for (std::string_view p : {"gcc", "g++", "cpp", "cc", "c++", "x86_64-linux-gnu-gcc",
                               "x86_64-linux-gnu-g++", "x86_64-linux-gnu-cpp"})
        if (name == p || starts_with(name, std::string(p) + "-")) return "gcc";
    for (std::string_view p : {"as", "ld", "ld.bfd", "ld.gold", "x86_64-linux-gnu-as",
                               "x86_64-linux-gnu-ld", "x86_64-linux-gnu-ld.bfd"})
        if (name == p) return "gcc";
    return "";
}

std::string human(uint64_t bytes) {
    const char* units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1000 && u < 4) v /= 1000, ++u;
    char buf[32];
    std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", v, units[u]);
    return buf;
}

// "/" + path (spelled out: GCC 12 warns falsely about `"/" + std::string(...)`).
std::string rooted(std::string_view path) {
    std::string out;
    out.reserve(path.size() + 1);
    out.push_back('/');
    out.append(path);
    return out;
}

std::vector<int> layer_list(const std::set<int>& s) {
    return std::vector<int>(s.begin(), s.end());
}

}  // namespace

void TopPaths::add(uint64_t bytes, const std::function<std::string()>& path) {
    if (top_.size() >= kTopPaths && bytes <= top_.back().first) return;
    top_.emplace_back(bytes, path());
    std::stable_sort(top_.begin(), top_.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    if (top_.size() > kTopPaths) top_.pop_back();
}

std::vector<std::string> TopPaths::paths() const {
    std::vector<std::string> out;
    for (const auto& [bytes, path] : top_) out.push_back(path);
    return out;
}

void HintCollector::on_write(int layer, std::string_view path, uint64_t size) {
    auto add = [&](Bucket& b) {
        b.bytes += size;
        ++b.files;
        b.layers.insert(layer);
        b.top.add(size, [&] { return rooted(path); });
    };
    if (std::string manager = cache_of(path); !manager.empty()) add(caches_[manager]);
    if (has_component(path, ".git")) add(git_);
}

void HintCollector::on_remove(int layer, uint64_t bytes, const std::function<std::string()>& path) {
    deleted_.bytes += bytes;
    ++deleted_.files;
    deleted_.layers.insert(layer);
    deleted_.top.add(bytes, path);
}

void HintCollector::on_final_file(std::string_view path, uint64_t size, uint32_t writes,
                                  uint64_t written) {
    if (writes >= 2 && written > size) {
        rewritten_.bytes += written - size;
        ++rewritten_.files;
        rewritten_.top.add(written - size, [&] { return rooted(path); });
    }
    // Compilers proper: cc1 lives in gcc's private directory, whose root is the toolchain.
    std::string_view base = path.substr(path.rfind('/') + 1);
    if (base == "cc1" || base == "cc1plus") {
        for (const char* root : {"usr/lib/gcc", "usr/libexec/gcc"})
            if (starts_with(path, std::string(root) + "/")) {
                toolchains_["gcc"].found = true;
                toolchains_["gcc"].roots.insert(root);
            }
    }
    // A Go distribution: GOROOT/bin/go next to GOROOT/pkg/tool (found via its own files).
    if (size_t at = path.find("/pkg/tool/"); at != std::string_view::npos) {
        std::string goroot(path.substr(0, at));
        if (std::string_view(goroot).substr(goroot.rfind('/') + 1).substr(0, 2) == "go") {
            toolchains_["go"].found = true;
            toolchains_["go"].roots.insert(goroot);
        }
    }
    if (size_t at = path.find("/lib/rustlib/"); at != std::string_view::npos) {
        toolchains_["rust"].found = true;
        toolchains_["rust"].roots.insert(std::string(path.substr(0, at)) + "/lib/rustlib");
    }
    if (starts_with(path, "usr/lib/llvm-") && path.find("/bin/clang") != std::string_view::npos) {
        toolchains_["clang"].found = true;
        toolchains_["clang"].roots.insert(std::string(path.substr(0, path.find('/', 13))));
    }
    if (std::string t = toolchain_binary(path); !t.empty()) {
        Toolchain& tc = toolchains_[t];
        if (t == "make") tc.found = true;
        tc.loose_bytes += size;
        tc.top.add(size, [&] { return rooted(path); });
    }
}

std::vector<Hint> HintCollector::finish(
    const nlohmann::json& config, const std::function<uint64_t(const std::string&)>& subtree_size) {
    std::vector<Hint> out;
    for (auto& [manager, b] : caches_) {
        if (b.files == 0) continue;
        out.push_back({"package-cache",
                       std::to_string(b.files) + " " + manager + " cache/list files (" +
                           human(b.bytes) + ") are shipped in the image: " + cache_advice(manager),
                       b.bytes, b.top.paths(), layer_list(b.layers)});
    }
    if (deleted_.files > 0 && deleted_.bytes > 0)
        out.push_back({"deleted-later",
                       std::to_string(deleted_.files) + " files (" + human(deleted_.bytes) +
                           ") are deleted by a later layer but still shipped by the layer that "
                           "added them: delete them in the same step that creates them (or use "
                           "a multi-stage build)",
                       deleted_.bytes, deleted_.top.paths(), layer_list(deleted_.layers)});
    if (rewritten_.files > 0)
        out.push_back({"rewritten",
                       std::to_string(rewritten_.files) + " files are rewritten by later layers; " +
                           human(rewritten_.bytes) +
                           " of earlier copies are shipped for nothing: write each file once, in "
                           "its final form",
                       rewritten_.bytes,
                       rewritten_.top.paths(),
                       {}});
    for (auto& [name, tc] : toolchains_) {
        if (!tc.found) continue;
        uint64_t bytes = tc.loose_bytes;
        std::vector<std::string> paths;
        for (const std::string& root : tc.roots) {
            bytes += subtree_size(root);
            paths.push_back("/" + root);
        }
        for (const std::string& p : tc.top.paths())
            if (paths.size() < kTopPaths) paths.push_back(p);
        out.push_back({"toolchain",
                       "the " + name + " build toolchain (" + human(bytes) +
                           ") is in the final image: build in one stage and copy only the "
                           "results into the final one (multi-stage build)",
                       bytes,
                       paths,
                       {}});
    }
    if (git_.files > 0)
        out.push_back({"git-dir",
                       std::to_string(git_.files) + " files (" + human(git_.bytes) +
                           ") of .git directories are in the image: add .git to .dockerignore",
                       git_.bytes, git_.top.paths(), layer_list(git_.layers)});
    std::stable_sort(out.begin(), out.end(),
                     [](const Hint& a, const Hint& b) { return a.bytes > b.bytes; });
    std::string user;
    if (auto c = config.find("config"); c != config.end() && c->is_object())
        if (auto u = c->find("User"); u != c->end() && u->is_string()) user = u->get<std::string>();
    std::string name = user.substr(0, user.find(':'));
    if (name.empty() || name == "root" || name == "0")
        out.push_back({"root-user",
                       user.empty() ? "no User is set: the container runs as root; add `USER "
                                      "<non-root>` to the final stage"
                                    : "User is \"" + user +
                                          "\": the container runs as root; use a non-root user",
                       0,
                       {},
                       {}});
    return out;
}

}  // namespace berth::images
