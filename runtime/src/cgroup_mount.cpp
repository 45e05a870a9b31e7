#include "cgroup_mount.h"

#include <sys/mount.h>

#include <sstream>

#include "berth/file_io.h"
#include "kernel_mount.h"
#include "secure_path.h"

namespace berth::runtime {
namespace {

struct Hierarchy {
    std::string controllers;  // "memory", "cpu,cpuacct", "name=systemd"; empty for cgroup2
};

std::vector<Hierarchy> own_hierarchies() {
    std::vector<Hierarchy> out;
    std::istringstream lines(read_file("/proc/self/cgroup"));
    std::string line;
    while (std::getline(lines, line)) {
        size_t first = line.find(':');
        size_t second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos) continue;
        out.push_back({line.substr(first + 1, second - first - 1)});
    }
    return out;
}

void mount_hierarchy(int dir_fd, const Hierarchy& h, const MountRequest& base) {
    MountRequest request;
    request.attr_set = base.attr_set | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
    std::string fstype = "cgroup2";
    if (!h.controllers.empty()) {
        fstype = "cgroup";
        std::istringstream parts(h.controllers);
        std::string part;
        while (std::getline(parts, part, ',')) {
            size_t eq = part.find('=');
            if (eq == std::string::npos)
                request.fs_params.emplace_back(part, "");
            else
                request.fs_params.emplace_back(part.substr(0, eq), part.substr(eq + 1));
        }
    }
    UniqueFd fs = new_filesystem(fstype, "cgroup", request);
    attach_mount(fs.get(), dir_fd, "cgroup " + (h.controllers.empty() ? "unified" : h.controllers));
}

}  // namespace

void mount_cgroup_tree(int root_fd, const std::string& destination, const MountRequest& request) {
    std::vector<Hierarchy> hierarchies = own_hierarchies();
    UniqueFd target = mkdir_all_in_root(root_fd, destination);
    if (hierarchies.size() == 1 && hierarchies[0].controllers.empty()) {
        mount_hierarchy(target.get(), hierarchies[0], request);
        return;
    }
    MountRequest tmpfs_request;
    tmpfs_request.fs_params = {{"mode", "755"}};
    tmpfs_request.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
    UniqueFd tmpfs = new_filesystem("tmpfs", "tmpfs", tmpfs_request);
    attach_mount(tmpfs.get(), target.get(), destination);
    for (const Hierarchy& h : hierarchies) {
        std::string name = h.controllers.empty() ? "unified" : h.controllers;
        if (name.rfind("name=", 0) == 0) name = name.substr(5);
        UniqueFd dir = mkdir_all_in_root(root_fd, destination + "/" + name);
        mount_hierarchy(dir.get(), h, request);
    }
    if (request.attr_set & MOUNT_ATTR_RDONLY) apply_mount_attrs(tmpfs.get(), request, false);
}

}  // namespace berth::runtime
