#include "berth/engine/container_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>

#include "berth/error.h"
#include "berth/file_io.h"

namespace berth::engine {
namespace {

void make_dir(const std::string& path, mode_t mode) {
    if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) throw_errno("mkdir " + path);
}

void make_dirs(const std::string& path, mode_t mode) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) throw Error("mkdir " + path + ": " + ec.message());
    ::chmod(path.c_str(), mode);
}

UniqueFd flock_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) throw_errno("open lock " + path);
    while (::flock(fd.get(), LOCK_EX) != 0)
        if (errno != EINTR) throw_errno("flock " + path);
    return fd;
}

bool is_hex_id(const std::string& s) {
    return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string random_id() {
    unsigned char bytes[32];
    if (::getrandom(bytes, sizeof bytes, 0) != sizeof bytes) throw_errno("getrandom");
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
        out += hex[b >> 4];
        out += hex[b & 15];
    }
    return out;
}

// docker's rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]+
void check_name(const std::string& name) {
    bool ok =
        !name.empty() && name.size() <= 128 && std::isalnum(static_cast<unsigned char>(name[0]));
    for (char c : name)
        ok =
            ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
    if (!ok)
        throw Error("invalid container name \"" + name +
                    "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
}

// Readable names like docker's, from two short lists (an ID suffix breaks any collision).
std::string generated_name(const std::string& id, int attempt) {
    static const char* adjectives[] = {"brave", "calm",   "eager", "fond",  "keen",   "lucid",
                                       "merry", "nimble", "quiet", "sharp", "steady", "witty"};
    static const char* nouns[] = {"anchor", "buoy", "cove", "dock", "harbor", "keel",
                                  "mast",   "pier", "quay", "reef", "sail",   "tide"};
    unsigned a = std::stoul(id.substr(0, 4), nullptr, 16),
             b = std::stoul(id.substr(4, 4), nullptr, 16);
    std::string name = adjectives[a % 12];
    name += '_';
    name += nouns[b % 12];
    if (attempt > 0) {
        name += '_';
        name.append(id, 8, static_cast<size_t>(2 + attempt));
    }
    return name;
}

}  // namespace

ContainerStore::ContainerStore(std::string root, std::string run_root)
    : root_(std::move(root)), run_root_(std::move(run_root)), containers_(root_ + "/containers") {
    make_dirs(containers_, 0700);
    make_dirs(run_root_ + "/containers", 0700);
}

std::string ContainerStore::run_dir(const std::string& id) const {
    return run_root_ + "/containers/" + id;
}

std::vector<std::string> ContainerStore::ids() const {
    std::vector<std::string> out;
    DIR* d = ::opendir(containers_.c_str());
    if (!d) throw_errno("opendir " + containers_);
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        // Only complete records: the directory exists briefly before its record is written.
        if (is_hex_id(name) && path_exists(dir(name) + "/container.json")) out.push_back(name);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

bool ContainerStore::exists(const std::string& id) const {
    return is_hex_id(id) && path_exists(dir(id) + "/container.json");
}

std::string ContainerStore::resolve(const std::string& ref) const {
    if (ref.empty()) throw Error("No such container: \"\"");
    std::string name = ref[0] == '/' ? ref.substr(1) : ref;
    if (exists(name)) return name;
    std::vector<std::string> all = ids();
    for (const std::string& id : all) {
        try {
            if (load(id).name == name) return id;
        } catch (const Error&) {
        }
    }
    std::vector<std::string> matches;
    if (name.find_first_not_of("0123456789abcdef") == std::string::npos)
        for (const std::string& id : all)
            if (id.compare(0, name.size(), name) == 0) matches.push_back(id);
    if (matches.size() == 1) return matches.front();
    if (matches.size() > 1)
        throw Error("container ID prefix \"" + ref + "\" is ambiguous (" +
                    std::to_string(matches.size()) + " containers)");
    throw Error("No such container: " + ref);
}

UniqueFd ContainerStore::lock_names() const {
    return flock_file(containers_ + "/lock");
}

UniqueFd ContainerStore::lock(const std::string& id) const {
    return flock_file(dir(id) + "/lock");
}

void ContainerStore::create(ContainerRecord& record) {
    if (!record.name.empty()) check_name(record.name);
    UniqueFd names = lock_names();
    record.id = random_id();
    std::vector<ContainerRecord> existing;
    for (const std::string& id : ids()) {
        try {
            existing.push_back(load(id));
        } catch (const Error&) {
        }
    }
    auto holder = [&](const std::string& name) -> const ContainerRecord* {
        for (const ContainerRecord& r : existing)
            if (r.name == name) return &r;
        return nullptr;
    };
    if (record.name.empty()) {
        for (int attempt = 0; record.name.empty(); ++attempt)
            if (!holder(generated_name(record.id, attempt)))
                record.name = generated_name(record.id, attempt);
    } else if (const ContainerRecord* other = holder(record.name)) {
        throw Error("the container name \"/" + record.name + "\" is already in use by container " +
                    other->id + ": remove (or rename) that container to reuse the name");
    }
    std::string d = dir(record.id);
    make_dir(d, 0700);
    make_dir(d + "/bundle", 0700);
    make_dir(rootfs_dir(record.id), 0755);
    make_dir(rw_dir(record.id), 0700);
    save_state(record.id, RunState{});
    write_file_atomic(d + "/container.json", record.to_json().dump(2));
}

ContainerRecord ContainerStore::load(const std::string& id) const {
    std::string path = dir(id) + "/container.json";
    std::string text;
    try {
        text = read_file(path);
    } catch (const Error&) {
        throw Error("No such container: " + id);
    }
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) throw Error(path + ": not valid JSON");
    return ContainerRecord::from_json(j);
}

void ContainerStore::remove(const std::string& id) {
    if (!is_hex_id(id)) throw Error("remove container: invalid ID " + id);
    // remove_all would descend into a still-mounted rootfs (and through it into binds).
    struct stat rootfs, parent;
    if (::stat(rootfs_dir(id).c_str(), &rootfs) == 0 && ::stat(dir(id).c_str(), &parent) == 0 &&
        rootfs.st_dev != parent.st_dev)
        throw Error("remove container " + id.substr(0, 12) + ": its rootfs is still mounted");
    UniqueFd names = lock_names();
    std::error_code ec;
    // The record goes first, so a crash halfway leaves no half container listed.
    ::unlink((dir(id) + "/container.json").c_str());
    std::filesystem::remove_all(run_dir(id), ec);
    std::filesystem::remove_all(dir(id), ec);
    if (ec) throw Error("remove " + dir(id) + ": " + ec.message());
}

RunState ContainerStore::load_state(const std::string& id) const {
    std::string path = dir(id) + "/state.json";
    auto j = nlohmann::json::parse(read_file(path), nullptr, false);
    if (j.is_discarded()) throw Error(path + ": not valid JSON");
    return RunState::from_json(j);
}

void ContainerStore::save_state(const std::string& id, const RunState& state) const {
    write_file_atomic(dir(id) + "/state.json", state.to_json().dump());
}

}  // namespace berth::engine
