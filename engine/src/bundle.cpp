#include "bundle.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <unistd.h>

#include "berth/error.h"
#include "berth/file_io.h"
#include "berth/runtime/spec.h"

namespace berth::engine {
namespace {

using nlohmann::json;

const std::vector<std::string>& all_capabilities() {
    static const std::vector<std::string> caps = {"CAP_CHOWN",
                                                  "CAP_DAC_OVERRIDE",
                                                  "CAP_DAC_READ_SEARCH",
                                                  "CAP_FOWNER",
                                                  "CAP_FSETID",
                                                  "CAP_KILL",
                                                  "CAP_SETGID",
                                                  "CAP_SETUID",
                                                  "CAP_SETPCAP",
                                                  "CAP_LINUX_IMMUTABLE",
                                                  "CAP_NET_BIND_SERVICE",
                                                  "CAP_NET_BROADCAST",
                                                  "CAP_NET_ADMIN",
                                                  "CAP_NET_RAW",
                                                  "CAP_IPC_LOCK",
                                                  "CAP_IPC_OWNER",
                                                  "CAP_SYS_MODULE",
                                                  "CAP_SYS_RAWIO",
                                                  "CAP_SYS_CHROOT",
                                                  "CAP_SYS_PTRACE",
                                                  "CAP_SYS_PACCT",
                                                  "CAP_SYS_ADMIN",
                                                  "CAP_SYS_BOOT",
                                                  "CAP_SYS_NICE",
                                                  "CAP_SYS_RESOURCE",
                                                  "CAP_SYS_TIME",
                                                  "CAP_SYS_TTY_CONFIG",
                                                  "CAP_MKNOD",
                                                  "CAP_LEASE",
                                                  "CAP_AUDIT_WRITE",
                                                  "CAP_AUDIT_CONTROL",
                                                  "CAP_SETFCAP",
                                                  "CAP_MAC_OVERRIDE",
                                                  "CAP_MAC_ADMIN",
                                                  "CAP_SYSLOG",
                                                  "CAP_WAKE_ALARM",
                                                  "CAP_BLOCK_SUSPEND",
                                                  "CAP_AUDIT_READ",
                                                  "CAP_PERFMON",
                                                  "CAP_BPF",
                                                  "CAP_CHECKPOINT_RESTORE"};
    return caps;
}

std::vector<std::string> capability_set(const HostConfig& h) {
    std::vector<std::string> set = default_capabilities();
    auto has_all = [](const std::vector<std::string>& v) {
        return std::any_of(v.begin(), v.end(), [](const std::string& c) { return c == "ALL"; });
    };
    if (has_all(h.cap_add)) set = all_capabilities();
    for (const std::string& c : h.cap_add)
        if (c != "ALL" && std::find(set.begin(), set.end(), c) == set.end()) set.push_back(c);
    if (has_all(h.cap_drop)) {
        set.clear();
        for (const std::string& c : h.cap_add)
            if (c != "ALL") set.push_back(c);
    }
    for (const std::string& c : h.cap_drop) std::erase(set, c);
    return set;
}

// Image env first, then the overrides: a later K= replaces an earlier one in place.
void set_env(std::vector<std::string>& env, const std::string& entry) {
    std::string key = entry.substr(0, entry.find('='));
    for (std::string& e : env)
        if (e.substr(0, e.find('=')) == key) {
            e = entry;
            return;
        }
    env.push_back(entry);
}

// Where --init puts berth-init in the container (docker's is /sbin/docker-init).
constexpr const char* kInitPath = "/sbin/berth-init";

// berth-init on the host: the engine says where (beside berth-monitor) when it starts one.
std::string init_binary() {
    const char* set = std::getenv("BERTH_INIT_BINARY");
    if (!set || ::access(set, X_OK) != 0)
        throw Error(std::string("--init: berth-init not found") +
                    (set ? " at " + std::string(set) : ""));
    return set;
}

json bind_mount(const std::string& source, const std::string& dest, bool read_only) {
    return {{"destination", dest},
            {"type", "bind"},
            {"source", source},
            {"options", {"rbind", read_only ? "ro" : "rw", "rprivate"}}};
}

void apply_security_opts(json& spec, const HostConfig& h) {
    for (const std::string& opt : h.security_opt) {
        std::string key = opt.substr(0, opt.find_first_of("=:"));
        std::string value = opt.size() > key.size() ? opt.substr(key.size() + 1) : "";
        if (key == "seccomp") {
            if (value == "unconfined") {
                spec["linux"].erase("seccomp");
            } else {
                auto profile = json::parse(read_file(value), nullptr, false);
                if (profile.is_discarded() || !profile.is_object())
                    throw Error("--security-opt seccomp=" + value + ": not a JSON object");
                spec["linux"]["seccomp"] = profile;
            }
        } else if (key == "no-new-privileges") {
            spec["process"]["noNewPrivileges"] = value.empty() || value == "true";
        } else {
            throw Error("--security-opt " + opt +
                        ": unsupported (seccomp=FILE|unconfined, no-new-privileges)");
        }
    }
}

json resources(const HostConfig& h) {
    json r = json::object();
    if (h.memory > 0) {
        r["memory"]["limit"] = h.memory;
        // docker's default: as much swap again as memory (-1: unlimited).
        r["memory"]["swap"] = h.memory_swap != 0 ? h.memory_swap : 2 * h.memory;
    }
    if (h.nano_cpus > 0) {
        r["cpu"]["period"] = 100000;
        r["cpu"]["quota"] = h.nano_cpus / 10000;  // 1e9 nano CPUs = one full period
    }
    if (h.pids_limit != 0) r["pids"]["limit"] = h.pids_limit;
    return r;
}

}  // namespace

const std::vector<std::string>& default_capabilities() {
    static const std::vector<std::string> caps = {
        "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
        "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
        "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
        "CAP_KILL",    "CAP_AUDIT_WRITE"};
    return caps;
}

std::string normalize_capability(const std::string& name) {
    std::string upper;
    for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper == "ALL") return upper;
    if (upper.rfind("CAP_", 0) != 0) upper = "CAP_" + upper;
    const auto& all = all_capabilities();
    if (std::find(all.begin(), all.end(), upper) == all.end())
        throw Error("unknown capability \"" + name + "\"");
    return upper;
}

std::string bundle_config_json(const ContainerStore& store, const ContainerRecord& r,
                               const ResolvedUser& user, const NetworkAttachment& network) {
    json spec = json::parse(runtime::default_spec_json());
    const ContainerConfig& c = r.config;
    const HostConfig& h = r.host_config;

    json& process = spec["process"];
    std::vector<std::string> args{r.path};
    args.insert(args.end(), r.args.begin(), r.args.end());
    if (h.init) args.insert(args.begin(), {kInitPath, "--"});
    process["args"] = args;
    process["terminal"] = c.tty;
    std::vector<std::string> env;
    set_env(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    set_env(env, "HOSTNAME=" + network.hostname.substr(0, network.hostname.size() - 1));
    for (const std::string& e : c.env) set_env(env, e);
    if (c.tty) set_env(env, "TERM=xterm");
    bool has_home = std::any_of(env.begin(), env.end(),
                                [](const std::string& e) { return e.rfind("HOME=", 0) == 0; });
    if (!has_home) env.push_back("HOME=" + user.home);
    process["env"] = env;
    process["cwd"] = c.working_dir.empty() ? "/" : c.working_dir;
    process["user"] = {{"uid", user.uid}, {"gid", user.gid}};
    if (!user.additional_gids.empty()) process["user"]["additionalGids"] = user.additional_gids;
    // docker's default: setuid programs in the image work unless no-new-privileges is asked.
    process["noNewPrivileges"] = false;
    std::vector<std::string> caps = capability_set(h);
    process["capabilities"] = {{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
    // --ulimit replaces the default of the same resource (the runtime's RLIMIT_NOFILE 1024).
    for (const Ulimit& u : h.ulimits) {
        json limit = rlimit_json(u);
        json& rlimits = process["rlimits"];
        auto same = std::find_if(rlimits.begin(), rlimits.end(), [&](const json& r) {
            return r.value("type", "") == limit["type"];
        });
        if (same != rlimits.end())
            *same = limit;
        else
            rlimits.push_back(limit);
    }

    spec["root"] = {{"path", "rootfs"}, {"readonly", h.read_only}};
    spec["hostname"] = network.hostname.substr(0, network.hostname.size() - 1);
    if (!c.domainname.empty()) spec["domainname"] = c.domainname;

    json& mounts = spec["mounts"];
    // docker's: the container's own cgroups, read-only (the cgroup namespace makes them /).
    mounts.push_back({{"destination", "/sys/fs/cgroup"},
                      {"type", "cgroup"},
                      {"source", "cgroup"},
                      {"options", {"ro", "nosuid", "noexec", "nodev", "relatime"}}});
    std::string dir = store.dir(r.id);
    if (h.init) mounts.push_back(bind_mount(init_binary(), kInitPath, true));
    mounts.push_back(bind_mount(dir + "/hosts", "/etc/hosts", false));
    mounts.push_back(bind_mount(dir + "/hostname", "/etc/hostname", false));
    mounts.push_back(bind_mount(dir + "/resolv.conf", "/etc/resolv.conf", false));
    for (const MountPoint& m : r.mounts) {
        if (m.type == "tmpfs") {
            json options = {"nosuid", "nodev", "noexec"};
            std::string opts = h.tmpfs.count(m.destination) ? h.tmpfs.at(m.destination) : "";
            size_t start = 0;
            while (!opts.empty() && start <= opts.size()) {
                size_t comma = opts.find(',', start);
                std::string o = opts.substr(start, comma - start);
                if (!o.empty()) options.push_back(o);
                if (comma == std::string::npos) break;
                start = comma + 1;
            }
            mounts.push_back({{"destination", m.destination},
                              {"type", "tmpfs"},
                              {"source", "tmpfs"},
                              {"options", options}});
        } else {
            mounts.push_back(bind_mount(m.source, m.destination, !m.rw));
        }
    }

    json namespaces = json::array();
    for (const json& ns : spec["linux"]["namespaces"]) {
        if (ns["type"] != "network") {
            namespaces.push_back(ns);
        } else if (!network.host) {
            json net = {{"type", "network"}};
            if (!network.netns_path.empty()) net["path"] = network.netns_path;
            namespaces.push_back(net);
        }
    }
    spec["linux"]["namespaces"] = namespaces;
    json res = resources(h);
    if (!res.empty()) spec["linux"]["resources"] = res;
    spec["linux"]["cgroupsPath"] = "berth/" + r.id;
    apply_security_opts(spec, h);
    spec["annotations"] = {{"io.berth.container.name", r.name}};
    return spec.dump(2) + "\n";
}

}  // namespace berth::engine
