#include "cgroup_paths.h"

#include <linux/magic.h>
#include <sys/statfs.h>

#include <sstream>

#include "berth/error.h"
#include "berth/file_io.h"

namespace berth::runtime {
namespace {

// "N:controllers:/path" lines of /proc/self/cgroup.
std::vector<std::pair<std::string, std::string>> own_cgroup_lines() {
    std::vector<std::pair<std::string, std::string>> out;
    std::istringstream lines(read_file("/proc/self/cgroup"));
    std::string line;
    while (std::getline(lines, line)) {
        size_t a = line.find(':'), b = line.find(':', a + 1);
        if (a == std::string::npos || b == std::string::npos) continue;
        out.emplace_back(line.substr(a + 1, b - a - 1), line.substr(b + 1));
    }
    return out;
}

bool has_item(const std::string& comma_list, const std::string& item) {
    std::istringstream parts(comma_list);
    std::string part;
    while (std::getline(parts, part, ','))
        if (part == item) return true;
    return false;
}

}  // namespace

const std::vector<std::string> kV1Controllers = {"cpu",  "cpuacct", "cpuset",  "memory",
                                                 "pids", "blkio",   "freezer", "hugetlb"};

bool is_pure_cgroup2_host() {
    struct statfs st;
    return ::statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

std::string own_v2_path() {
    for (const auto& [controllers, path] : own_cgroup_lines())
        if (controllers.empty()) return path;
    return "/";
}

std::vector<V1Hierarchy> v1_hierarchies(const std::vector<std::string>& wanted) {
    std::vector<V1Hierarchy> out;
    auto own = own_cgroup_lines();
    std::istringstream mounts(read_file("/proc/self/mountinfo"));
    std::string line;
    while (std::getline(mounts, line)) {
        size_t dash = line.find(" - cgroup ");
        if (dash == std::string::npos) continue;
        std::istringstream head(line.substr(0, dash));
        std::string id, parent, devno, root, mountpoint;
        head >> id >> parent >> devno >> root >> mountpoint;
        std::istringstream tail(line.substr(dash + 3));
        std::string fstype, source, options;
        tail >> fstype >> source >> options;
        for (const std::string& controller : wanted) {
            if (!has_item(options, controller)) continue;
            for (const auto& [controllers, path] : own)
                if (has_item(controllers, controller))
                    out.push_back({controller, mountpoint, path});
        }
    }
    return out;
}

std::string join_cgroup_path(const std::string& mountpoint, const std::string& own_path,
                             const std::string& cgroups_path) {
    std::istringstream parts(cgroups_path);
    std::string part;
    while (std::getline(parts, part, '/'))
        if (part == "..")
            throw Error("linux.cgroupsPath: \"" + cgroups_path + "\" must not contain ..");
    std::string base = cgroups_path.empty() || cgroups_path[0] != '/' ? own_path : "";
    std::string joined = mountpoint + (base == "/" ? "" : base);
    if (!cgroups_path.empty() && cgroups_path[0] != '/') joined += "/";
    return joined + cgroups_path;
}

}  // namespace berth::runtime
