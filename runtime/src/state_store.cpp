#include "state_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "berth/error.h"
#include "berth/file_io.h"
#include "cgroup.h"
#include "process_info.h"

namespace berth::runtime {

using nlohmann::json;

std::string now_rfc3339() {
    timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);
    tm utc;
    ::gmtime_r(&ts.tv_sec, &utc);
    char buf[64];
    size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(buf + n, sizeof buf - n, ".%09ldZ", ts.tv_nsec);
    return buf;
}

void StateStore::validate_id(const std::string& id) {
    if (id.empty()) throw Error("container id must not be empty");
    if (id.size() > 1024) throw Error("container id is longer than 1024 characters");
    if (id == "." || id == "..") throw Error("invalid container id \"" + id + "\"");
    for (char c : id)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
              c == '+'))
            throw Error("invalid container id \"" + id +
                        "\": only letters, digits and _ - . + are allowed");
}

void StateStore::create_dir(const std::string& id) const {
    validate_id(id);
    if (::mkdir(root_.c_str(), 0700) != 0 && errno != EEXIST)
        throw_errno("create state root " + root_);
    if (::mkdir(dir(id).c_str(), 0700) != 0) {
        if (errno == EEXIST) throw Error("container \"" + id + "\" already exists");
        throw_errno("create state directory " + dir(id));
    }
}

void StateStore::remove_dir(const std::string& id) const {
    std::error_code ec;
    std::filesystem::remove_all(dir(id), ec);
}

bool StateStore::exists(const std::string& id) const {
    validate_id(id);
    return path_exists(dir(id) + "/state.json");
}

UniqueFd StateStore::lock(const std::string& id) const {
    UniqueFd fd(::open((dir(id) + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) {
        if (errno == ENOENT) throw Error("container \"" + id + "\" does not exist");
        throw_errno("lock container " + id);
    }
    while (::flock(fd.get(), LOCK_EX) != 0)
        if (errno != EINTR) throw_errno("lock container " + id);
    return fd;
}

void StateStore::save(const ContainerRecord& record) const {
    const ContainerState& s = record.state;
    json doc = {{"ociVersion", s.oci_version},
                {"id", s.id},
                {"status", status_name(s.status)},
                {"pid", s.pid},
                {"pidStartTime", record.pid_start_time},
                {"ownPidNamespace", record.own_pid_namespace},
                {"cgroup", record.cgroup_json.empty() ? json() : json::parse(record.cgroup_json)},
                {"hasPoststart", record.has_poststart}, {"hasPoststop", record.has_poststop},
                {"bundle", s.bundle},
                {"rootfs", s.rootfs},
                {"created", s.created},
                {"annotations", s.annotations}};
    write_file_atomic(dir(s.id) + "/state.json", doc.dump());
}

ContainerRecord StateStore::load(const std::string& id) const {
    validate_id(id);
    std::string text;
    try {
        text = read_file(dir(id) + "/state.json");
    } catch (const Error& e) {
        if (e.errno_value() == ENOENT) throw Error("container \"" + id + "\" does not exist");
        throw;
    }
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        throw Error("state of container \"" + id + "\" is corrupt: " + dir(id) + "/state.json");
    ContainerRecord record;
    ContainerState& s = record.state;
    s.oci_version = doc.value("ociVersion", "");
    s.id = id;
    s.status = doc.value("status", "") == "creating" ? Status::creating : Status::created;
    s.pid = doc.value("pid", 0);
    record.pid_start_time = doc.value("pidStartTime", uint64_t{0});
    record.own_pid_namespace = doc.value("ownPidNamespace", true);
    record.has_poststart = doc.value("hasPoststart", true);
    record.has_poststop = doc.value("hasPoststop", true);
    if (doc.contains("cgroup") && doc["cgroup"].is_object())
        record.cgroup_json = doc["cgroup"].dump();
    s.bundle = doc.value("bundle", "");
    s.rootfs = doc.value("rootfs", "");
    s.created = doc.value("created", "");
    if (doc.contains("annotations") && doc["annotations"].is_object())
        s.annotations = doc["annotations"].get<std::map<std::string, std::string>>();
    return record;
}

std::vector<std::string> StateStore::ids() const {
    std::vector<std::string> out;
    DIR* d = ::opendir(root_.c_str());
    if (!d) return out;
    while (dirent* entry = ::readdir(d)) {
        std::string name = entry->d_name;
        if (name == "." || name == "..") continue;
        if (path_exists(dir(name) + "/state.json")) out.push_back(name);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

ContainerState StateStore::current_state(const ContainerRecord& record) const {
    ContainerState s = record.state;
    if (!is_same_live_process(s.pid, record.pid_start_time)) {
        s.status = Status::stopped;
        s.pid = 0;
        return s;
    }
    if (s.status == Status::creating) return s;
    s.status = path_exists(start_socket(s.id)) ? Status::created : Status::running;
    if (s.status == Status::running && !record.cgroup_json.empty()) {
        auto cgroup = load_cgroup(json::parse(record.cgroup_json));
        if (cgroup && cgroup->frozen()) s.status = Status::paused;
    }
    return s;
}

}  // namespace berth::runtime
