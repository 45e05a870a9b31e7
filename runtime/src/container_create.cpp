// `create`: validate the bundle, clone the init into its namespaces, run the runtime-side
// hooks while it prepares the rootfs, record the state and leave the init waiting for start.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "berth/error.h"
#include "berth/file_io.h"
#include "cgroup.h"
#include "console.h"
#include "container_init.h"
#include "container_internal.h"
#include "hooks.h"
#include "process_info.h"
#include "seccomp_filter.h"
#include "start_socket.h"
#include "sync_channel.h"

namespace berth::runtime {
namespace {

std::string real_path(const std::string& path, const std::string& what) {
    char buf[PATH_MAX];
    if (!::realpath(path.c_str(), buf)) throw_errno(what + " " + path);
    return buf;
}

struct LoadedBundle {
    std::string bundle;
    std::string rootfs;
    std::string config_text;
    Spec spec;
};

LoadedBundle load_bundle(const std::string& bundle_arg) {
    LoadedBundle b;
    b.bundle = real_path(bundle_arg, "bundle");
    try {
        b.config_text = read_file(b.bundle + "/config.json");
    } catch (const Error& e) {
        throw Error(
            "bundle " + b.bundle + ": cannot read config.json: " + describe_errno(e.errno_value()),
            e.errno_value());
    }
    b.spec = parse_spec(b.config_text);
    std::string root =
        b.spec.root_path[0] == '/' ? b.spec.root_path : b.bundle + "/" + b.spec.root_path;
    b.rootfs = real_path(root, "root.path: rootfs");
    struct stat st;
    if (::stat(b.rootfs.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw Error("root.path: rootfs " + b.rootfs + " is not a directory");
    return b;
}

std::vector<std::pair<NamespaceType, UniqueFd>> open_namespace_paths(const Spec& spec) {
    std::vector<std::pair<NamespaceType, UniqueFd>> out;
    for (const Namespace& ns : spec.linux.namespaces) {
        if (ns.path.empty()) continue;
        UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd)
            throw_errno("linux.namespaces: open " + namespace_type_name(ns.type) + " namespace " +
                        ns.path);
        out.emplace_back(ns.type, std::move(fd));
    }
    return out;
}

int clone_flags_for(const Spec& spec) {
    int flags = 0;
    for (const Namespace& ns : spec.linux.namespaces) {
        if (!ns.path.empty()) continue;
        switch (ns.type) {
            case NamespaceType::pid:
                flags |= CLONE_NEWPID;
                break;
            case NamespaceType::network:
                flags |= CLONE_NEWNET;
                break;
            case NamespaceType::mount:
                flags |= CLONE_NEWNS;
                break;
            case NamespaceType::ipc:
                flags |= CLONE_NEWIPC;
                break;
            case NamespaceType::uts:
                flags |= CLONE_NEWUTS;
                break;
            case NamespaceType::cgroup:
                break;  // unshared by the init once it is in its cgroup
            // First of all: every other new namespace is then owned by the container's user.
            case NamespaceType::user:
                flags |= CLONE_NEWUSER;
                break;
        }
    }
    return flags;
}

std::string expect_from_init(int fd, const char* kind) {
    std::string message = receive_message(fd);
    if (has_kind(message, "ERROR ")) throw Error(message.substr(6));
    if (message.empty()) throw Error("container init exited while it was being set up");
    if (!has_kind(message, kind))
        throw Error("container init: unexpected message \"" + message + "\"");
    return message;
}

std::string mapping_text(const std::vector<IdMapping>& mappings) {
    std::string text;
    for (const IdMapping& m : mappings)
        text += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
                std::to_string(m.size) + "\n";
    return text;
}

void write_id_mappings(pid_t pid, const Linux& linux) {
    std::string proc = "/proc/" + std::to_string(pid);
    try {
        write_existing_file(proc + "/uid_map", mapping_text(linux.uid_mappings));
    } catch (const Error& e) {
        throw Error("linux.uidMappings: " + std::string(e.what()), e.errno_value());
    }
    try {
        write_existing_file(proc + "/gid_map", mapping_text(linux.gid_mappings));
    } catch (const Error& e) {
        throw Error("linux.gidMappings: " + std::string(e.what()), e.errno_value());
    }
}

bool has_limits(const Resources& r) {
    const MemoryResources& m = r.memory;
    const CpuResources& c = r.cpu;
    return m.limit || m.reservation || m.swap || m.swappiness || m.disable_oom_killer || c.shares ||
           c.quota || c.period || c.cpus || c.mems || r.pids_limit || !r.block_io.empty() ||
           !r.hugepage_limits.empty() || !r.unified.empty();
}

// Kills and reaps the half-made init and removes its cgroup and state if create fails after
// the clone.
class InitGuard {
  public:
    InitGuard(const StateStore& store, std::string id) : store_(store), id_(std::move(id)) {}
    ~InitGuard() {
        if (committed_) return;
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
            }
        }
        if (cgroup_) {
            try {
                cgroup_->kill_all();
                cgroup_->destroy();
            } catch (const Error&) {
            }
        }
        store_.remove_dir(id_);
    }
    void set_pid(pid_t pid) { pid_ = pid; }
    void set_cgroup(Cgroup* cgroup) { cgroup_ = cgroup; }
    void commit() { committed_ = true; }

  private:
    const StateStore& store_;
    std::string id_;
    pid_t pid_ = 0;
    Cgroup* cgroup_ = nullptr;
    bool committed_ = false;
};

}  // namespace

pid_t create_container(const StateStore& store, const std::string& id,
                       const CreateOptions& options) {
    StateStore::validate_id(id);
    LoadedBundle b = load_bundle(options.bundle);
    const Spec& spec = b.spec;
    auto joins = open_namespace_paths(spec);
    if (options.cgroups_disabled && has_limits(spec.linux.resources))
        throw Error("linux.resources: limits need a cgroup, but --cgroup-manager is disabled");
    UniqueFd console;
    if (spec.process.terminal) {
        if (options.console_socket.empty())
            throw Error("process.terminal is true but no --console-socket was given");
        console = connect_console_socket(options.console_socket);
    }

    store.create_dir(id);
    std::unique_ptr<Cgroup> cgroup;  // declared before the guard, which may still use it
    InitGuard guard(store, id);
    // Compiled here, before any container process exists, so a refused profile fails create.
    std::optional<SeccompFilter> seccomp;
    if (spec.linux.seccomp) seccomp.emplace(*spec.linux.seccomp, store.seccomp_cache_dir());
    write_file_atomic(store.config_copy(id), b.config_text);
    UniqueFd start_listener = listen_start_socket(store.dir(id));
    SyncPair sync = SyncPair::create();

    for (const auto& [type, fd] : joins)
        if (type == NamespaceType::pid && ::setns(fd.get(), CLONE_NEWPID) != 0)
            throw_errno("linux.namespaces: join pid namespace");

    const Namespace* cgroup_ns = spec.find_namespace(NamespaceType::cgroup);
    const Namespace* net_ns = spec.find_namespace(NamespaceType::network);
    InitContext context{spec,
                        b.rootfs,
                        b.bundle,
                        options,
                        sync.init_end.get(),
                        start_listener.get(),
                        console.get(),
                        {},
                        cgroup_ns && cgroup_ns->path.empty(),
                        net_ns && net_ns->path.empty(),
                        spec.find_namespace(NamespaceType::user) != nullptr,
                        seccomp ? &*seccomp : nullptr};
    for (const auto& [type, fd] : joins)
        if (type != NamespaceType::pid) context.join_namespaces.emplace_back(type, fd.get());

    pid_t pid = static_cast<pid_t>(
        ::syscall(SYS_clone, clone_flags_for(spec) | SIGCHLD, nullptr, nullptr, nullptr, 0));
    if (pid < 0) throw_errno("clone container init");
    if (pid == 0) container_init_main(context);
    guard.set_pid(pid);
    sync.init_end.reset();
    start_listener.reset();
    console.reset();

    ContainerRecord record;
    record.state = {spec.oci_version, id,       Status::creating, pid,
                    b.bundle,         b.rootfs, now_rfc3339(),    spec.annotations};
    auto stat = read_proc_stat(pid);
    if (!stat) throw Error("container init exited during create");
    record.pid_start_time = stat->start_time;
    const Namespace* pid_ns = spec.find_namespace(NamespaceType::pid);
    record.own_pid_namespace = pid_ns && pid_ns->path.empty();
    record.has_poststart = !spec.hooks.poststart.empty();
    record.has_poststop = !spec.hooks.poststop.empty();
    // Done from here: in a user namespace the init has no rights over its own oom score.
    if (spec.process.oom_score_adj)
        write_existing_file("/proc/" + std::to_string(pid) + "/oom_score_adj",
                            std::to_string(*spec.process.oom_score_adj));
    const Namespace* user_ns = spec.find_namespace(NamespaceType::user);
    if (user_ns && user_ns->path.empty()) write_id_mappings(pid, spec.linux);
    if (!options.cgroups_disabled) {
        // The init joins its cgroup before it does anything, so every page and fork it makes
        // is accounted and limited.
        cgroup = make_cgroup(spec.linux.cgroups_path, id);
        guard.set_cgroup(cgroup.get());
        cgroup->create();
        cgroup->apply(spec.linux.resources);
        cgroup->add_process(pid);
        record.cgroup_json = cgroup->to_json().dump();
    }
    store.save(record);

    int fd = sync.runtime_end.get();
    send_message(fd, "PLACED");
    expect_from_init(fd, "MOUNTED");
    std::string creating_state = state_json(record.state);
    run_hooks(spec.hooks.prestart, "prestart", creating_state);
    run_hooks(spec.hooks.create_runtime, "createRuntime", creating_state);
    send_message(fd, "HOOKS " + creating_state);
    expect_from_init(fd, "CREATED");

    record.state.status = Status::created;
    store.save(record);
    if (!options.pid_file.empty()) write_file_atomic(options.pid_file, std::to_string(pid), 0644);
    send_message(fd, "GO");
    expect_from_init(fd, "DETACHED");
    guard.commit();
    return pid;
}

}  // namespace berth::runtime
