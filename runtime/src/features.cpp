// `features`: what this runtime implements, in the JSON shape runc prints, so callers can
// decide what to ask for.
#include <sys/capability.h>

#include <nlohmann/json.hpp>

#include "berth/runtime/runtime.h"
#include "cgroup.h"
#include "mount_options.h"
#include "seccomp_names.h"

namespace berth::runtime {

std::string features_json() {
    nlohmann::json caps = nlohmann::json::array();
    for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
        char* name = cap_to_name(cap);
        std::string upper = name;
        cap_free(name);
        for (char& c : upper) c = static_cast<char>(::toupper(c));
        caps.push_back(upper);
    }
    nlohmann::json doc = {
        {"ociVersionMin", "1.0.0"},
        {"ociVersionMax", "1.2.0"},
        {"hooks",
         {"prestart", "createRuntime", "createContainer", "startContainer", "poststart",
          "poststop"}},
        {"mountOptions", known_mount_options()},
        {"linux",
         {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "uts"}},
          {"capabilities", caps},
          {"cgroup",
           {{"v1", true},
            {"v2", true},
            {"systemd", false},
            {"systemdUser", false},
            {"rdma", false}}},
          {"seccomp", seccomp_features()},
          {"apparmor", {{"enabled", false}}},
          {"selinux", {{"enabled", false}}},
          {"intelRdt", {{"enabled", false}}},
          {"mountExtensions", {{"idmap", {{"enabled", false}}}}}}},
        // What this host makes berth use: the cgroup driver and its controllers.
        {"annotations",
         {{"org.opencontainers.runtime-spec.features", "berth-runtime"},
          {"io.berth.cgroup.driver", host_cgroup_version()},
          {"io.berth.cgroup.controllers", host_cgroup_controllers()}}},
    };
    return doc.dump(4);
}

}  // namespace berth::runtime
