// Where cgroup hierarchies are mounted and where this process sits in each.
#pragma once

#include <string>
#include <vector>

namespace berth::runtime {

struct V1Hierarchy {
    std::string controller;  // "memory"
    std::string mountpoint;  // "/sys/fs/cgroup/memory"
    std::string own_path;    // this process's cgroup in it, e.g. "/process_api/9a5d"
};

// The v1 controllers berth manages: limits, stats, freezer.
extern const std::vector<std::string> kV1Controllers;

bool is_pure_cgroup2_host();
std::string own_v2_path();
std::vector<V1Hierarchy> v1_hierarchies(const std::vector<std::string>& wanted);
// Joins a hierarchy-relative cgroupsPath: absolute paths from the hierarchy root, relative ones
// beneath own_path. Rejects ".." so a path can never climb out of the hierarchy.
std::string join_cgroup_path(const std::string& mountpoint, const std::string& own_path,
                             const std::string& cgroups_path);

}  // namespace berth::runtime
