// The OCI runtime configuration (config.json) as plain data. Parsing validates every field
// berth acts on and names the field in its error; fields berth does not know are ignored,
// as the runtime spec requires. Nothing here touches the kernel.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "berth/runtime/resources_spec.h"
#include "berth/runtime/seccomp_spec.h"

#include <nlohmann/json_fwd.hpp>

namespace berth::runtime {

struct Rlimit {
    int resource = 0;  // RLIMIT_*
    std::string name;  // "RLIMIT_NOFILE"
    uint64_t soft = 0;
    uint64_t hard = 0;
};

struct Capabilities {
    // Each set holds CAP_* numbers. Unset sets stay empty (inheritable is never filled by default).
    std::vector<int> bounding, effective, permitted, inheritable, ambient;
};

struct User {
    uid_t uid = 0;
    gid_t gid = 0;
    std::optional<mode_t> umask;
    std::vector<gid_t> additional_gids;
};

// process.consoleSize: the pty's size, set before the program runs (so it never sees 0x0).
struct ConsoleSize {
    unsigned height = 0, width = 0;
};

struct Process {
    bool terminal = false;
    std::optional<ConsoleSize> console_size;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd = "/";
    User user;
    std::vector<Rlimit> rlimits;
    std::optional<Capabilities> capabilities;
    bool no_new_privileges = false;
    std::optional<int> oom_score_adj;
};

struct Mount {
    std::string destination;
    std::string type;
    std::string source;
    std::vector<std::string> options;
};

struct Hook {
    std::string path;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::optional<int> timeout_seconds;
};

struct Hooks {
    std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart,
        poststop;
};

enum class NamespaceType { pid, network, mount, ipc, uts, cgroup, user };

struct Namespace {
    NamespaceType type;
    std::string path;  // empty: create a new one
};

struct Device {
    std::string path;
    char type = 'c';  // c, b, u, p
    uint32_t major = 0, minor = 0;
    mode_t file_mode = 0666;
    uid_t uid = 0;
    gid_t gid = 0;
};

// One line of /proc/<pid>/uid_map or gid_map.
struct IdMapping {
    uint32_t container_id = 0;
    uint32_t host_id = 0;
    uint32_t size = 0;
};

struct Linux {
    std::vector<Namespace> namespaces;
    std::vector<Device> devices;
    std::vector<IdMapping> uid_mappings, gid_mappings;
    std::vector<std::string> masked_paths;
    std::vector<std::string> readonly_paths;
    std::string rootfs_propagation;
    std::map<std::string, std::string> sysctl;
    std::string cgroups_path;
    std::optional<Seccomp> seccomp;  // unset: no filter
    Resources resources;
};

struct Spec {
    std::string oci_version;
    Process process;
    std::string root_path;  // as written in config.json (may be relative to the bundle)
    bool root_readonly = false;
    std::string hostname;
    std::string domainname;
    std::vector<Mount> mounts;
    Hooks hooks;
    Linux linux;
    std::map<std::string, std::string> annotations;

    const Namespace* find_namespace(NamespaceType type) const;
};

// Parses a linux.resources object (also the `update -r` file). `field` prefixes errors.
Resources parse_resources(const nlohmann::json& resources, const std::string& field);

// Parses one OCI "process" object (exec --process). Errors name the field.
Process parse_process_json(const std::string& json_text);

// Parses config.json text. Throws berth::Error naming the offending field.
Spec parse_spec(const std::string& json_text);

// The config.json `berth-runtime spec` writes: busybox-friendly, Docker's defaults for
// capabilities, masked and read-only paths and seccomp.
std::string default_spec_json();

std::string namespace_type_name(NamespaceType type);

}  // namespace berth::runtime
