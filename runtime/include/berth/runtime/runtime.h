// berth's OCI runtime: the operations of the runtime spec (create, start, state, kill, delete)
// plus run, list and ps, on containers whose state lives under one root directory.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "berth/runtime/resources_spec.h"
#include "berth/runtime/spec.h"

namespace berth::runtime {

enum class Status { creating, created, running, paused, stopped };
std::string status_name(Status status);

struct ContainerState {
    std::string oci_version;
    std::string id;
    Status status = Status::stopped;
    pid_t pid = 0;  // 0 when stopped
    std::string bundle;
    std::string rootfs;
    std::string created;  // RFC 3339
    std::map<std::string, std::string> annotations;
};

// The OCI state JSON: ociVersion, id, status, pid, bundle, annotations.
std::string state_json(const ContainerState& state);

struct CreateOptions {
    std::string bundle = ".";
    std::string pid_file;
    std::string console_socket;
    bool no_pivot = false;
    bool no_new_keyring = false;
    int preserve_fds = 0;
    // --cgroup-manager disabled (podman --cgroups disabled): no cgroup is created.
    bool cgroups_disabled = false;
};

struct ProcessEntry {
    pid_t pid;
    pid_t ppid;
    uid_t uid;
    std::string command;
};

// `exec`: a new process in a running container. Without process_file the container's own
// process settings are the base and the fields below override them.
struct ExecOptions {
    std::string process_file;  // an OCI "process" JSON object (--process)
    std::vector<std::string> args;
    std::vector<std::string> env;  // K=V, replacing the container's K
    std::string cwd;
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
    std::vector<gid_t> additional_gids;  // with uid: the user's supplementary groups
    bool tty = false;
    std::optional<ConsoleSize> console_size;  // with tty: the pty's size before the program runs
    std::vector<std::string> caps_add;
    bool no_new_privileges = false;
    bool detach = false;
    std::string pid_file;
    std::string console_socket;
    int preserve_fds = 0;
};

class Runtime {
  public:
    explicit Runtime(std::string state_root);

    // Returns once the container's init exists in all its namespaces and waits for start().
    void create(const std::string& id, const CreateOptions& options);
    void start(const std::string& id);
    ContainerState state(const std::string& id) const;
    std::vector<ContainerState> list() const;
    void kill(const std::string& id, int signal, bool all);
    void remove(const std::string& id, bool force);
    // create + start. In the foreground: forwards signals, waits, deletes the container and
    // returns its exit code (128+N when killed by signal N). Detached: returns 0 once started.
    int run(const std::string& id, const CreateOptions& options, bool detach);
    std::vector<ProcessEntry> processes(const std::string& id) const;
    // Returns the process's exit code in the foreground, 0 once it runs with detach.
    int exec(const std::string& id, const ExecOptions& options);
    void pause(const std::string& id);
    void resume(const std::string& id);
    // Applies the given resources to a created, running or paused container.
    void update(const std::string& id, const Resources& resources);
    // runc's `events --stats` object: {"type":"stats","id":...,"data":{cpu,memory,pids}}.
    std::string stats_json(const std::string& id) const;
    // Prints stats every interval and an "oom" event whenever the OOM kill count grows,
    // until the container stops.
    void stream_events(const std::string& id, int interval_seconds, bool stats_only) const;

  private:
    std::string root_;
};

// "KILL", "SIGKILL", "kill" or "9" -> 9. Throws Error for unknown names.
int parse_signal(const std::string& text);
// What `berth-runtime features` prints (the runc features JSON shape).
std::string features_json();
// Re-executes the current binary from a sealed in-memory copy unless it already runs from one,
// so nothing inside a container can rewrite the runtime binary on the host (CVE-2019-5736).
void ensure_running_from_sealed_copy(int argc, char** argv);

}  // namespace berth::runtime
