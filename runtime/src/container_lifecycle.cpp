// start, kill, delete and the queries, on containers recorded in the state store.
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "berth/error.h"
#include "berth/file_io.h"
#include "cgroup.h"
#include "cgroup_files.h"
#include "container_internal.h"
#include "hooks.h"
#include "process_info.h"
#include "start_socket.h"

namespace berth::runtime {
namespace {

// pidfd-based signalling: the pid is checked against its start time first, and the pidfd then
// pins that exact process, so a recycled pid is never signalled.
class ProcessHandle {
  public:
    ProcessHandle(pid_t pid, uint64_t start_time) {
        fd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
        if (fd_ && !is_same_live_process(pid, start_time)) fd_.reset();
    }
    bool valid() const { return static_cast<bool>(fd_); }
    bool signal(int sig) const {
        return ::syscall(SYS_pidfd_send_signal, fd_.get(), sig, nullptr, 0) == 0;
    }
    bool wait_exit(int timeout_ms) const {
        pollfd p{fd_.get(), POLLIN, 0};
        int rc;
        do rc = ::poll(&p, 1, timeout_ms);
        while (rc < 0 && errno == EINTR);
        return rc > 0;
    }

  private:
    UniqueFd fd_;
};

// The cgroup is the authority on membership when there is one; otherwise the pid namespace.
std::vector<pid_t> container_pids(const ContainerRecord& record) {
    const ContainerState& s = record.state;
    if (auto cgroup = cgroup_of(record)) return cgroup->processes();
    if (!is_same_live_process(s.pid, record.pid_start_time)) return {};
    if (!record.own_pid_namespace) return {s.pid};
    return processes_in_namespace("pid", namespace_inode(s.pid, "pid"));
}

std::vector<pid_t> container_pids_with_init_first(const ContainerRecord& record) {
    std::vector<pid_t> pids = container_pids(record);
    if (std::erase(pids, record.state.pid) > 0 || pids.empty())
        pids.insert(pids.begin(), record.state.pid);
    return pids;
}

void run_poststop_hooks(const StateStore& store, const ContainerState& state) {
    try {
        Spec spec = load_saved_spec(store, state.id);
        ContainerState stopped = state;
        stopped.status = Status::stopped;
        stopped.pid = 0;
        run_hooks_warn(spec.hooks.poststop, "poststop", state_json(stopped));
    } catch (const Error&) {
        // A damaged config copy must not keep a dead container's state around forever.
    }
}

}  // namespace

std::unique_ptr<Cgroup> cgroup_of(const ContainerRecord& record) {
    if (record.cgroup_json.empty()) return nullptr;
    return load_cgroup(nlohmann::json::parse(record.cgroup_json));
}

Spec load_saved_spec(const StateStore& store, const std::string& id) {
    return parse_spec(read_file(store.config_copy(id)));
}

void start_container(const StateStore& store, const std::string& id) {
    UniqueFd lock = store.lock(id);
    ContainerRecord record = store.load(id);
    ContainerState state = store.current_state(record);
    if (state.status != Status::created)
        throw Error("cannot start container \"" + id + "\": it is " + status_name(state.status) +
                    ", not created");
    UniqueFd conn = connect_start_socket(store.dir(id));
    // From here the container counts as running, even if this process dies before the byte.
    ::unlink(store.start_socket(id).c_str());
    char go = 'S';
    [[maybe_unused]] ssize_t n = ::write(conn.get(), &go, 1);
    std::string failure;
    char buf[4096];
    for (;;) {
        ssize_t got = ::read(conn.get(), buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        failure.append(buf, static_cast<size_t>(got));
    }
    if (!failure.empty()) throw Error(failure);
    if (!record.has_poststart) return;
    Spec spec = load_saved_spec(store, id);
    state.status = Status::running;
    run_hooks_warn(spec.hooks.poststart, "poststart", state_json(state));
}

void destroy_container(const StateStore& store, const ContainerRecord& record) {
    const ContainerState& s = record.state;
    ProcessHandle init(s.pid, record.pid_start_time);
    auto cgroup = cgroup_of(record);
    if (init.valid()) init.signal(SIGKILL);
    if (cgroup) cgroup->kill_all();
    if (!cgroup && record.own_pid_namespace)
        for (pid_t pid : container_pids(record)) ::kill(pid, SIGKILL);
    if (init.valid() && !init.wait_exit(10000))
        throw Error("container \"" + s.id + "\": init " + std::to_string(s.pid) +
                    " did not exit after SIGKILL");
    if (cgroup) {
        // Without a pid namespace, processes may outlive the init: the cgroup still holds them.
        if (!wait_until(5000, [&] { return cgroup->processes().empty(); }))
            throw Error("container \"" + s.id + "\": processes remain in its cgroup after SIGKILL");
        cgroup->destroy();
    }
    if (record.has_poststop) run_poststop_hooks(store, s);
    store.remove_dir(s.id);
}

Runtime::Runtime(std::string state_root) : root_(std::move(state_root)) {}

void Runtime::create(const std::string& id, const CreateOptions& options) {
    create_container(StateStore(root_), id, options);
}

void Runtime::start(const std::string& id) {
    start_container(StateStore(root_), id);
}

ContainerState Runtime::state(const std::string& id) const {
    StateStore store(root_);
    return store.current_state(store.load(id));
}

std::vector<ContainerState> Runtime::list() const {
    StateStore store(root_);
    std::vector<ContainerState> out;
    for (const std::string& id : store.ids()) {
        try {
            out.push_back(store.current_state(store.load(id)));
        } catch (const Error&) {
            // Removed between listing and reading: not ours to report.
        }
    }
    return out;
}

void Runtime::kill(const std::string& id, int signal, bool all) {
    StateStore store(root_);
    ContainerRecord record = store.load(id);
    ContainerState state = store.current_state(record);
    if (state.status == Status::stopped) throw Error("container \"" + id + "\" is not running");
    if (all) {
        if (signal == SIGKILL)
            if (auto cgroup = cgroup_of(record)) {
                cgroup->kill_all();
                return;
            }
        for (pid_t pid : container_pids_with_init_first(record))
            if (::kill(pid, signal) != 0 && errno != ESRCH)
                throw_errno("kill " + std::to_string(pid) + " in container " + id);
        return;
    }
    ProcessHandle init(record.state.pid, record.pid_start_time);
    if (!init.valid() || !init.signal(signal))
        throw_errno("signal init of container \"" + id + "\"", init.valid() ? errno : ESRCH);
}

void Runtime::remove(const std::string& id, bool force) {
    StateStore store(root_);
    if (force && !store.exists(id)) {
        store.remove_dir(id);
        return;
    }
    UniqueFd lock = store.lock(id);
    ContainerRecord record = store.load(id);
    ContainerState state = store.current_state(record);
    if (!force && (state.status == Status::running || state.status == Status::creating))
        throw Error("cannot delete container \"" + id +
                    "\" that is not stopped: " + status_name(state.status));
    destroy_container(store, record);
}

std::vector<ProcessEntry> Runtime::processes(const std::string& id) const {
    StateStore store(root_);
    ContainerRecord record = store.load(id);
    std::vector<ProcessEntry> out;
    for (pid_t pid : container_pids(record)) {
        auto st = read_proc_stat(pid);
        if (!st) continue;
        out.push_back({pid, st->ppid, process_uid(pid), process_command(pid)});
    }
    return out;
}

std::string status_name(Status status) {
    switch (status) {
        case Status::creating:
            return "creating";
        case Status::created:
            return "created";
        case Status::running:
            return "running";
        case Status::paused:
            return "paused";
        case Status::stopped:
            return "stopped";
    }
    return "unknown";
}

std::string state_json(const ContainerState& state) {
    nlohmann::json doc = {{"ociVersion", state.oci_version},
                          {"id", state.id},
                          {"status", status_name(state.status)},
                          {"pid", state.pid},
                          {"bundle", state.bundle}};
    doc["annotations"] = state.annotations;
    if (!state.rootfs.empty()) doc["rootfs"] = state.rootfs;
    if (!state.created.empty()) doc["created"] = state.created;
    return doc.dump();
}

}  // namespace berth::runtime
