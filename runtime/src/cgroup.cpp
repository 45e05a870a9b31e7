#include "cgroup.h"

#include <sstream>

#include "cgroup_files.h"
#include "cgroup_paths.h"

namespace berth::runtime {

std::unique_ptr<Cgroup> make_cgroup_v1(const std::string& cgroups_path, bool remove_parent);
std::unique_ptr<Cgroup> make_cgroup_v2(const std::string& cgroups_path, bool remove_parent);
std::unique_ptr<Cgroup> load_cgroup_v1(const nlohmann::json& record);
std::unique_ptr<Cgroup> load_cgroup_v2(const nlohmann::json& record);

std::string host_cgroup_version() {
    return is_pure_cgroup2_host() ? "v2" : "v1";
}

std::string host_cgroup_controllers() {
    std::string out;
    if (is_pure_cgroup2_host()) {
        std::istringstream names(read_knob("/sys/fs/cgroup", "cgroup.controllers"));
        std::string name;
        while (names >> name) out += (out.empty() ? "" : ",") + name;
        return out;
    }
    for (const V1Hierarchy& h : v1_hierarchies(kV1Controllers))
        out += (out.empty() ? "" : ",") + h.controller;
    return out;
}

std::unique_ptr<Cgroup> make_cgroup(const std::string& cgroups_path, const std::string& id) {
    // The default parent "berth" is shared by every container; whichever container is deleted
    // last removes it (cgroups_path set explicitly: only what this container created goes).
    bool default_path = cgroups_path.empty();
    std::string path = default_path ? "berth/" + id : cgroups_path;
    return is_pure_cgroup2_host() ? make_cgroup_v2(path, default_path) : make_cgroup_v1(path, default_path);
}

std::unique_ptr<Cgroup> load_cgroup(const nlohmann::json& record) {
    if (!record.is_object()) return nullptr;
    return record.value("version", "") == "v2" ? load_cgroup_v2(record) : load_cgroup_v1(record);
}

}  // namespace berth::runtime
