// The volume store: records, create, list, remove, prune.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "berth/engine/volumes.h"
#include "berth/error.h"
#include "berth/file_io.h"
#include "tree_copy.h"
#include "volume_lock.h"

namespace berth::engine {
namespace {

constexpr const char* kAnonymousLabel = "com.docker.volume.anonymous";

std::string utc_now_rfc3339() {
    time_t now = ::time(nullptr);
    tm t{};
    ::gmtime_r(&now, &t);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &t);
    return buf;
}

void make_dir(const std::string& path, mode_t mode) {
    if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) throw_errno("mkdir " + path);
}

}  // namespace

bool valid_volume_name(const std::string& name) {
    if (name.size() < 2 || name.size() > 255) return false;
    auto alnum = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    if (!alnum(name[0])) return false;
    return std::all_of(name.begin() + 1, name.end(),
                       [&](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; });
}

nlohmann::json Volume::inspect_json() const {
    nlohmann::json j = {{"CreatedAt", created_at},  {"Driver", "local"}, {"Labels", nullptr},
                        {"Mountpoint", mountpoint}, {"Name", name},      {"Options", nullptr},
                        {"Scope", "local"}};
    if (!labels.empty()) j["Labels"] = labels;
    return j;
}

VolumeStore::VolumeStore(std::string store_root) : root_(std::move(store_root)) {}

bool VolumeStore::container_exists(const std::string& id) const {
    return path_exists(root_ + "/containers/" + id);
}

std::string VolumeStore::record_path(const std::string& name) const {
    return volumes_dir() + "/" + name + "/volume.json";
}

namespace {

std::string record_text(const Volume& v) {
    nlohmann::json j = {{"Name", v.name},
                        {"CreatedAt", v.created_at},
                        {"Labels", v.labels},
                        {"Anonymous", v.anonymous},
                        {"Users", v.users}};
    return j.dump() + "\n";
}

}  // namespace

void VolumeStore::save(const Volume& v) const {
    write_file_atomic(record_path(v.name), record_text(v), 0600);
}

Volume VolumeStore::load(const std::string& name) const {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(read_file(record_path(name)));
    } catch (const nlohmann::json::exception& e) {
        throw Error("volume " + name + ": damaged record " + record_path(name) + ": " + e.what());
    }
    Volume v;
    v.name = name;
    v.mountpoint = volumes_dir() + "/" + name + "/_data";
    v.created_at = j.value("CreatedAt", "");
    v.labels = j.value("Labels", std::map<std::string, std::string>{});
    v.anonymous = j.value("Anonymous", false);
    v.users = j.value("Users", std::vector<std::string>{});
    return v;
}

std::optional<Volume> VolumeStore::find(const std::string& name) const {
    // An invalid name can never be a volume (and must not become a path).
    if (!valid_volume_name(name) || !path_exists(record_path(name))) return std::nullopt;
    VolumeLock lock(volumes_dir(), false);
    if (!path_exists(record_path(name))) return std::nullopt;
    return load(name);
}

Volume VolumeStore::get(const std::string& name) const {
    auto v = find(name);
    if (!v) throw Error("no such volume: " + name);
    return *v;
}

std::vector<Volume> VolumeStore::list() const {
    std::vector<Volume> out;
    if (!path_exists(volumes_dir())) return out;
    VolumeLock lock(volumes_dir(), false);
    for (const std::string& name : VolumeLock::names(volumes_dir()))
        if (valid_volume_name(name) && path_exists(record_path(name))) out.push_back(load(name));
    std::sort(out.begin(), out.end(),
              [](const Volume& a, const Volume& b) { return a.name < b.name; });
    return out;
}

Volume VolumeStore::create(const std::string& name,
                           const std::map<std::string, std::string>& labels, bool anonymous) {
    if (!name.empty() && !valid_volume_name(name))
        throw Error("invalid volume name \"" + name +
                    "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at least 2 characters");
    VolumeLock lock(volumes_dir(), true);
    return create_locked(name, labels, anonymous);
}

Volume VolumeStore::create_locked(const std::string& wanted,
                                  const std::map<std::string, std::string>& labels,
                                  bool anonymous) {
    std::string name = wanted.empty() ? random_hex(32) : wanted;
    if (path_exists(record_path(name))) return load(name);
    Volume v;
    v.name = name;
    v.mountpoint = volumes_dir() + "/" + name + "/_data";
    v.created_at = utc_now_rfc3339();
    v.labels = labels;
    v.anonymous = anonymous;
    if (anonymous) v.labels[kAnonymousLabel] = "";
    // Built under a temporary name and renamed, so a volume is either complete or absent.
    std::string staging = volumes_dir() + "/.new-" + random_hex(8);
    make_dir(staging, 0701);
    try {
        make_dir(staging + "/_data", 0755);
        write_file_atomic(staging + "/volume.json", record_text(v), 0600);
        std::string final_dir = volumes_dir() + "/" + name;
        if (::rename(staging.c_str(), final_dir.c_str()) != 0)
            throw_errno("create volume " + name + " (" + final_dir + ")");
    } catch (...) {
        remove_tree_at(AT_FDCWD, staging);
        throw;
    }
    return v;
}

std::vector<std::string> VolumeStore::live_users(const Volume& volume) const {
    std::vector<std::string> live;
    for (const std::string& id : volume.users)
        if (container_exists(id)) live.push_back(id);
    return live;
}

void VolumeStore::delete_locked(const std::string& name) {
    // Out of sight first (one rename), then the data, which may be large and is untrusted
    // (a container wrote it: removed fd-relative without following symlinks).
    std::string trash = volumes_dir() + "/.trash-" + random_hex(8);
    std::string dir = volumes_dir() + "/" + name;
    if (::rename(dir.c_str(), trash.c_str()) != 0) throw_errno("remove volume " + name);
    remove_tree_at(AT_FDCWD, trash);
}

void VolumeStore::remove(const std::string& name, bool force) {
    if (!valid_volume_name(name)) throw Error("no such volume: " + name);
    VolumeLock lock(volumes_dir(), true);
    if (!path_exists(record_path(name))) throw Error("no such volume: " + name);
    Volume v = load(name);
    std::vector<std::string> users = live_users(v);
    if (!users.empty() && !force) {
        std::string list;
        for (const std::string& id : users) list += (list.empty() ? "" : ", ") + id.substr(0, 12);
        throw Error("remove volume " + name + ": volume is in use by container " + list +
                    " (-f removes it anyway)");
    }
    delete_locked(name);
}

VolumeStore::Pruned VolumeStore::prune(bool all) {
    Pruned pruned;
    if (!path_exists(volumes_dir())) return pruned;
    VolumeLock lock(volumes_dir(), true);
    for (const std::string& name : VolumeLock::names(volumes_dir())) {
        if (!valid_volume_name(name) || !path_exists(record_path(name))) continue;
        Volume v = load(name);
        if (!live_users(v).empty() || (!all && !v.anonymous)) continue;
        pruned.bytes += tree_bytes_at(AT_FDCWD, v.mountpoint);
        delete_locked(name);
        pruned.names.push_back(name);
    }
    std::sort(pruned.names.begin(), pruned.names.end());
    return pruned;
}

}  // namespace berth::engine
