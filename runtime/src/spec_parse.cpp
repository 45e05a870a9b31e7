// config.json -> Spec. Every error names the JSON field so a user can find it in the file.
#include <sys/capability.h>
#include <sys/resource.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "berth/error.h"
#include "berth/runtime/spec.h"
#include "json_fields.h"
#include "seccomp_parse.h"

namespace berth::runtime {
namespace {

using nlohmann::json;

std::string get_string(const json& object, const char* key, const std::string& field,
                       const std::string& fallback = "") {
    const json* value = member(object, key);
    if (!value) return fallback;
    if (!value->is_string()) field_error(field + "." + key, "must be a string");
    return value->get<std::string>();
}

bool get_bool(const json& object, const char* key, const std::string& field) {
    const json* value = member(object, key);
    if (!value) return false;
    if (!value->is_boolean()) field_error(field + "." + key, "must be a boolean");
    return value->get<bool>();
}

template <typename Int>
Int get_uint(const json& value, const std::string& field) {
    if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<int64_t>() >= 0))
        field_error(field, "must be a non-negative integer");
    uint64_t v = value.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<Int>::max()))
        field_error(field, "out of range");
    return static_cast<Int>(v);
}

std::vector<std::string> get_strings(const json& object, const char* key,
                                     const std::string& field) {
    std::vector<std::string> out;
    const json* value = member(object, key);
    if (!value) return out;
    if (!value->is_array()) field_error(field + "." + key, "must be an array of strings");
    for (size_t i = 0; i < value->size(); ++i) {
        if (!(*value)[i].is_string())
            field_error(field + "." + key + "[" + std::to_string(i) + "]", "must be a string");
        out.push_back((*value)[i].get<std::string>());
    }
    return out;
}

void reject_if_set(const json& object, const char* key, const std::string& field,
                   const std::string& why) {
    const json* value = member(object, key);
    if (!value) return;
    bool empty = (value->is_string() && value->get<std::string>().empty()) ||
                 ((value->is_array() || value->is_object()) && value->empty());
    if (!empty) field_error(field + "." + key, why);
}

int rlimit_from_name(const std::string& name, const std::string& field) {
    static const std::pair<const char*, int> table[] = {
        {"RLIMIT_AS", RLIMIT_AS},
        {"RLIMIT_CORE", RLIMIT_CORE},
        {"RLIMIT_CPU", RLIMIT_CPU},
        {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_FSIZE", RLIMIT_FSIZE},
        {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
        {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
        {"RLIMIT_NICE", RLIMIT_NICE},
        {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_NPROC", RLIMIT_NPROC},
        {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
        {"RLIMIT_RTTIME", RLIMIT_RTTIME},
        {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_STACK", RLIMIT_STACK},
    };
    for (const auto& [n, r] : table)
        if (name == n) return r;
    field_error(field, "unknown rlimit type \"" + name + "\"");
}

std::vector<int> parse_cap_set(const json& caps, const char* key, const std::string& field) {
    std::vector<int> out;
    for (const std::string& name : get_strings(caps, key, field)) {
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
        cap_value_t cap;
        if (lower.rfind("cap_", 0) != 0 || cap_from_name(lower.c_str(), &cap) != 0)
            field_error(field + "." + key, "unknown capability \"" + name + "\"");
        out.push_back(cap);
    }
    return out;
}

Process parse_process(const json& p) {
    const std::string f = "process";
    if (!p.is_object()) field_error(f, "must be an object");
    Process process;
    process.terminal = get_bool(p, "terminal", f);
    if (const json* size = member(p, "consoleSize")) {
        const std::string sf = f + ".consoleSize";
        if (!size->is_object()) field_error(sf, "must be an object");
        ConsoleSize cs;
        if (const json* v = member(*size, "height"))
            cs.height = get_uint<uint16_t>(*v, sf + ".height");
        if (const json* v = member(*size, "width"))
            cs.width = get_uint<uint16_t>(*v, sf + ".width");
        process.console_size = cs;
    }
    process.args = get_strings(p, "args", f);
    if (process.args.empty()) field_error(f + ".args", "must name the program to run");
    process.env = get_strings(p, "env", f);
    process.cwd = get_string(p, "cwd", f, "/");
    if (process.cwd.empty() || process.cwd[0] != '/')
        field_error(f + ".cwd", "must be an absolute path, got \"" + process.cwd + "\"");
    if (const json* user = member(p, "user")) {
        const std::string uf = f + ".user";
        if (const json* v = member(*user, "uid"))
            process.user.uid = get_uint<uid_t>(*v, uf + ".uid");
        if (const json* v = member(*user, "gid"))
            process.user.gid = get_uint<gid_t>(*v, uf + ".gid");
        if (const json* v = member(*user, "umask"))
            process.user.umask = get_uint<mode_t>(*v, uf + ".umask");
        if (const json* v = member(*user, "additionalGids")) {
            if (!v->is_array()) field_error(uf + ".additionalGids", "must be an array");
            for (const json& g : *v)
                process.user.additional_gids.push_back(get_uint<gid_t>(g, uf + ".additionalGids"));
        }
        reject_if_set(*user, "username", uf, "only applies to Windows");
    }
    if (const json* rl = member(p, "rlimits")) {
        if (!rl->is_array()) field_error(f + ".rlimits", "must be an array");
        for (size_t i = 0; i < rl->size(); ++i) {
            const std::string rf = f + ".rlimits[" + std::to_string(i) + "]";
            const json& r = (*rl)[i];
            Rlimit limit;
            limit.name = get_string(r, "type", rf);
            limit.resource = rlimit_from_name(limit.name, rf + ".type");
            if (!member(r, "soft") || !member(r, "hard")) field_error(rf, "needs soft and hard");
            limit.soft = get_uint<uint64_t>(r["soft"], rf + ".soft");
            limit.hard = get_uint<uint64_t>(r["hard"], rf + ".hard");
            if (limit.soft > limit.hard) field_error(rf, "soft limit exceeds hard limit");
            process.rlimits.push_back(limit);
        }
    }
    if (const json* caps = member(p, "capabilities")) {
        const std::string cf = f + ".capabilities";
        Capabilities c;
        c.bounding = parse_cap_set(*caps, "bounding", cf);
        c.effective = parse_cap_set(*caps, "effective", cf);
        c.permitted = parse_cap_set(*caps, "permitted", cf);
        c.inheritable = parse_cap_set(*caps, "inheritable", cf);
        c.ambient = parse_cap_set(*caps, "ambient", cf);
        process.capabilities = c;
    }
    process.no_new_privileges = get_bool(p, "noNewPrivileges", f);
    if (const json* v = member(p, "oomScoreAdj")) {
        if (!v->is_number_integer()) field_error(f + ".oomScoreAdj", "must be an integer");
        int adj = v->get<int>();
        if (adj < -1000 || adj > 1000) field_error(f + ".oomScoreAdj", "must be in -1000..1000");
        process.oom_score_adj = adj;
    }
    reject_if_set(p, "apparmorProfile", f, "AppArmor is not supported by berth-runtime");
    reject_if_set(p, "selinuxLabel", f, "SELinux is not supported by berth-runtime");
    reject_if_set(p, "scheduler", f, "not supported by berth-runtime");
    reject_if_set(p, "ioPriority", f, "not supported by berth-runtime");
    reject_if_set(p, "execCPUAffinity", f, "not supported by berth-runtime");
    return process;
}

std::vector<Hook> parse_hooks(const json& hooks, const char* key) {
    std::vector<Hook> out;
    const json* list = member(hooks, key);
    if (!list) return out;
    const std::string f = std::string("hooks.") + key;
    if (!list->is_array()) field_error(f, "must be an array");
    for (size_t i = 0; i < list->size(); ++i) {
        const std::string hf = f + "[" + std::to_string(i) + "]";
        const json& h = (*list)[i];
        if (!h.is_object()) field_error(hf, "must be an object");
        Hook hook;
        hook.path = get_string(h, "path", hf);
        if (hook.path.empty() || hook.path[0] != '/')
            field_error(hf + ".path", "must be an absolute path");
        hook.args = get_strings(h, "args", hf);
        hook.env = get_strings(h, "env", hf);
        if (const json* t = member(h, "timeout")) {
            if (!t->is_number_integer() || t->get<int>() <= 0)
                field_error(hf + ".timeout", "must be a positive integer");
            hook.timeout_seconds = t->get<int>();
        }
        out.push_back(std::move(hook));
    }
    return out;
}

NamespaceType namespace_from_name(const std::string& name, const std::string& field) {
    if (name == "pid") return NamespaceType::pid;
    if (name == "network") return NamespaceType::network;
    if (name == "mount") return NamespaceType::mount;
    if (name == "ipc") return NamespaceType::ipc;
    if (name == "uts") return NamespaceType::uts;
    if (name == "cgroup") return NamespaceType::cgroup;
    if (name == "user") return NamespaceType::user;
    if (name == "time")
        field_error(field, "namespace type \"" + name + "\" is not supported by berth-runtime yet");
    field_error(field, "unknown namespace type \"" + name + "\"");
}

Device parse_device(const json& d, const std::string& f) {
    Device dev;
    dev.path = get_string(d, "path", f);
    if (dev.path.rfind("/dev/", 0) != 0) field_error(f + ".path", "must be under /dev");
    std::string type = get_string(d, "type", f);
    if (type != "c" && type != "b" && type != "u" && type != "p")
        field_error(f + ".type", "must be one of c, b, u, p");
    dev.type = type[0];
    if (dev.type != 'p') {
        if (!member(d, "major") || !member(d, "minor"))
            field_error(f, "a character or block device needs major and minor");
        dev.major = get_uint<uint32_t>(d["major"], f + ".major");
        dev.minor = get_uint<uint32_t>(d["minor"], f + ".minor");
    }
    if (const json* v = member(d, "fileMode"))
        dev.file_mode = get_uint<mode_t>(*v, f + ".fileMode");
    if (const json* v = member(d, "uid")) dev.uid = get_uint<uid_t>(*v, f + ".uid");
    if (const json* v = member(d, "gid")) dev.gid = get_uint<gid_t>(*v, f + ".gid");
    return dev;
}

std::vector<IdMapping> parse_id_mappings(const json& l, const char* key, const std::string& f) {
    std::vector<IdMapping> out;
    const json* list = member(l, key);
    if (!list) return out;
    const std::string mf = f + "." + key;
    if (!list->is_array()) field_error(mf, "must be an array");
    for (size_t i = 0; i < list->size(); ++i) {
        const std::string ef = mf + "[" + std::to_string(i) + "]";
        const json& m = (*list)[i];
        if (!m.is_object() || !member(m, "containerID") || !member(m, "hostID") ||
            !member(m, "size"))
            field_error(ef, "needs containerID, hostID and size");
        IdMapping mapping{get_uint<uint32_t>(m["containerID"], ef + ".containerID"),
                          get_uint<uint32_t>(m["hostID"], ef + ".hostID"),
                          get_uint<uint32_t>(m["size"], ef + ".size")};
        if (mapping.size == 0) field_error(ef + ".size", "must be positive");
        out.push_back(mapping);
    }
    return out;
}

Linux parse_linux(const json& l) {
    const std::string f = "linux";
    Linux linux;
    if (const json* ns = member(l, "namespaces")) {
        if (!ns->is_array()) field_error(f + ".namespaces", "must be an array");
        for (size_t i = 0; i < ns->size(); ++i) {
            const std::string nf = f + ".namespaces[" + std::to_string(i) + "]";
            Namespace n{namespace_from_name(get_string((*ns)[i], "type", nf), nf + ".type"),
                        get_string((*ns)[i], "path", nf)};
            for (const Namespace& seen : linux.namespaces)
                if (seen.type == n.type) field_error(nf, "namespace listed twice");
            linux.namespaces.push_back(n);
        }
    }
    if (const json* devs = member(l, "devices")) {
        if (!devs->is_array()) field_error(f + ".devices", "must be an array");
        for (size_t i = 0; i < devs->size(); ++i)
            linux.devices.push_back(
                parse_device((*devs)[i], f + ".devices[" + std::to_string(i) + "]"));
    }
    linux.masked_paths = get_strings(l, "maskedPaths", f);
    linux.readonly_paths = get_strings(l, "readonlyPaths", f);
    linux.rootfs_propagation = get_string(l, "rootfsPropagation", f);
    static const char* propagations[] = {"",        "shared",     "slave",
                                         "private", "unbindable", "rshared",
                                         "rslave",  "rprivate",   "runbindable"};
    if (std::find(std::begin(propagations), std::end(propagations), linux.rootfs_propagation) ==
        std::end(propagations))
        field_error(f + ".rootfsPropagation",
                    "unknown propagation \"" + linux.rootfs_propagation + "\"");
    if (const json* sysctl = member(l, "sysctl")) {
        if (!sysctl->is_object()) field_error(f + ".sysctl", "must be an object");
        for (auto it = sysctl->begin(); it != sysctl->end(); ++it) {
            if (!it.value().is_string()) field_error(f + ".sysctl." + it.key(), "must be a string");
            if (it.key().find("..") != std::string::npos || it.key().find('/') != std::string::npos)
                field_error(f + ".sysctl." + it.key(), "is not a sysctl name");
            linux.sysctl[it.key()] = it.value().get<std::string>();
        }
    }
    linux.cgroups_path = get_string(l, "cgroupsPath", f);
    if (const json* resources = member(l, "resources"))
        linux.resources = parse_resources(*resources, f + ".resources");
    linux.uid_mappings = parse_id_mappings(l, "uidMappings", f);
    linux.gid_mappings = parse_id_mappings(l, "gidMappings", f);
    if (const json* seccomp = member(l, "seccomp")) linux.seccomp = parse_seccomp(*seccomp);
    reject_if_set(l, "mountLabel", f, "SELinux is not supported by berth-runtime");
    reject_if_set(l, "intelRdt", f, "not supported by berth-runtime");
    reject_if_set(l, "personality", f, "not supported by berth-runtime");
    reject_if_set(l, "timeOffsets", f, "time namespaces are not supported by berth-runtime yet");
    reject_if_set(l, "netDevices", f, "not supported by berth-runtime");
    return linux;
}

}  // namespace

const Namespace* Spec::find_namespace(NamespaceType type) const {
    for (const Namespace& ns : linux.namespaces)
        if (ns.type == type) return &ns;
    return nullptr;
}

std::string namespace_type_name(NamespaceType type) {
    switch (type) {
        case NamespaceType::pid:
            return "pid";
        case NamespaceType::network:
            return "network";
        case NamespaceType::mount:
            return "mount";
        case NamespaceType::ipc:
            return "ipc";
        case NamespaceType::uts:
            return "uts";
        case NamespaceType::cgroup:
            return "cgroup";
        case NamespaceType::user:
            return "user";
    }
    return "?";
}

Spec parse_spec(const std::string& json_text) {
    json doc = json::parse(json_text, nullptr, false);
    if (doc.is_discarded()) throw Error("config.json: not valid JSON");
    if (!doc.is_object()) throw Error("config.json: top level must be an object");
    Spec spec;
    spec.oci_version = get_string(doc, "ociVersion", "");
    if (spec.oci_version.empty()) field_error("ociVersion", "is required");
    if (spec.oci_version.rfind("1.", 0) != 0)
        field_error("ociVersion", "unsupported version \"" + spec.oci_version + "\"");
    const json* process = member(doc, "process");
    if (!process) field_error("process", "is required");
    spec.process = parse_process(*process);
    const json* root = member(doc, "root");
    if (!root) field_error("root", "is required");
    spec.root_path = get_string(*root, "path", "root");
    if (spec.root_path.empty()) field_error("root.path", "is required");
    spec.root_readonly = get_bool(*root, "readonly", "root");
    spec.hostname = get_string(doc, "hostname", "");
    spec.domainname = get_string(doc, "domainname", "");
    if (const json* mounts = member(doc, "mounts")) {
        if (!mounts->is_array()) field_error("mounts", "must be an array");
        for (size_t i = 0; i < mounts->size(); ++i) {
            const std::string mf = "mounts[" + std::to_string(i) + "]";
            const json& m = (*mounts)[i];
            if (!m.is_object()) field_error(mf, "must be an object");
            Mount mount{get_string(m, "destination", mf), get_string(m, "type", mf),
                        get_string(m, "source", mf), get_strings(m, "options", mf)};
            if (mount.destination.empty() || mount.destination[0] != '/')
                field_error(mf + ".destination", "must be an absolute path");
            reject_if_set(m, "uidMappings", mf, "idmapped mounts are not supported yet");
            reject_if_set(m, "gidMappings", mf, "idmapped mounts are not supported yet");
            spec.mounts.push_back(std::move(mount));
        }
    }
    if (const json* hooks = member(doc, "hooks")) {
        if (!hooks->is_object()) field_error("hooks", "must be an object");
        spec.hooks.prestart = parse_hooks(*hooks, "prestart");
        spec.hooks.create_runtime = parse_hooks(*hooks, "createRuntime");
        spec.hooks.create_container = parse_hooks(*hooks, "createContainer");
        spec.hooks.start_container = parse_hooks(*hooks, "startContainer");
        spec.hooks.poststart = parse_hooks(*hooks, "poststart");
        spec.hooks.poststop = parse_hooks(*hooks, "poststop");
    }
    if (const json* linux = member(doc, "linux")) {
        if (!linux->is_object()) field_error("linux", "must be an object");
        spec.linux = parse_linux(*linux);
    }
    const Namespace* user_ns = spec.find_namespace(NamespaceType::user);
    bool new_user_ns = user_ns && user_ns->path.empty();
    if (new_user_ns && (spec.linux.uid_mappings.empty() || spec.linux.gid_mappings.empty()))
        field_error("linux.uidMappings", "a new user namespace needs uidMappings and gidMappings");
    if (!new_user_ns && (!spec.linux.uid_mappings.empty() || !spec.linux.gid_mappings.empty()))
        field_error("linux.uidMappings",
                    "mappings need a new user namespace (linux.namespaces has no \"user\")");
    if (!spec.hostname.empty() && !spec.find_namespace(NamespaceType::uts))
        field_error("hostname", "needs a new UTS namespace (linux.namespaces has no \"uts\")");
    if (const json* annotations = member(doc, "annotations")) {
        if (!annotations->is_object()) field_error("annotations", "must be an object");
        for (auto it = annotations->begin(); it != annotations->end(); ++it) {
            if (!it.value().is_string()) field_error("annotations." + it.key(), "must be a string");
            spec.annotations[it.key()] = it.value().get<std::string>();
        }
    }
    return spec;
}

Process parse_process_json(const std::string& json_text) {
    json doc = json::parse(json_text, nullptr, false);
    if (doc.is_discarded()) throw Error("process.json: not valid JSON");
    return parse_process(doc);
}

}  // namespace berth::runtime
