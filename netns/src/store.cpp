#include "berth/netns/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "berth/error.h"
#include "berth/file_io.h"

namespace berth::netns {

NetworkStore::NetworkStore(const std::string& root) : dir_(root + "/networks") {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) throw Error("create " + dir_ + ": " + ec.message(), ec.value());
    ::chmod(dir_.c_str(), 0700);
}

NetworkStore::Lock NetworkStore::lock(int operation) const {
    std::string path = dir_ + "/lock";
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) throw_errno("open " + path);
    while (::flock(fd.get(), operation) != 0) {
        if (errno != EINTR) throw_errno("lock " + path);
    }
    return Lock(std::move(fd));
}

NetworkStore::Lock NetworkStore::lock_exclusive() const {
    return lock(LOCK_EX);
}
NetworkStore::Lock NetworkStore::lock_shared() const {
    return lock(LOCK_SH);
}

std::vector<Network> NetworkStore::load_all() const {
    std::vector<Network> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
        std::string name = entry.path().filename().string();
        if (name.size() != 64 + 5 || !name.ends_with(".json")) continue;
        std::string path = entry.path().string();
        nlohmann::json json = nlohmann::json::parse(read_file(path), nullptr, false);
        if (json.is_discarded()) throw Error("network record " + path + ": not valid JSON");
        out.push_back(network_from_json(json, path));
    }
    std::sort(out.begin(), out.end(),
              [](const Network& a, const Network& b) { return a.created < b.created; });
    return out;
}

std::optional<Network> NetworkStore::find(const std::string& name_or_id) const {
    auto all = load_all();
    for (auto& net : all)
        if (net.name == name_or_id || net.id == name_or_id) return std::move(net);
    if (name_or_id.size() < 3) return std::nullopt;
    std::optional<Network> match;
    for (auto& net : all) {
        if (!net.id.starts_with(name_or_id)) continue;
        if (match) throw Error("network id prefix " + name_or_id + " is ambiguous");
        match = std::move(net);
    }
    return match;
}

void NetworkStore::save(const Network& network) const {
    write_file_atomic(dir_ + "/" + network.id + ".json", to_json(network).dump(2) + "\n", 0600);
}

void NetworkStore::erase(const Network& network) const {
    std::string path = dir_ + "/" + network.id + ".json";
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno("remove " + path);
}

}  // namespace berth::netns
