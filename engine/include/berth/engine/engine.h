// The Docker-like local engine, daemonless: every command opens the stores, does its work
// under the container's lock and exits; each running container has a monitor process of ours
// (berth container-monitor) as its parent, which keeps its logs, records its exit and applies
// the restart policy.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "berth/engine/container.h"
#include "berth/engine/container_store.h"
#include "berth/error.h"
#include "berth/fd.h"

namespace berth::images {
class Store;
}

namespace berth::engine {

// An error with the exit code docker gives for it: 125 for the engine's own errors, 126 when
// the program cannot be executed, 127 when it is not found.
class ExitError : public Error {
  public:
    ExitError(const std::string& message, int exit_code) : Error(message), code_(exit_code) {}
    int exit_code() const { return code_; }

  private:
    int code_;
};

struct CreateRequest {
    std::string name;
    std::string image;  // a reference as the user gave it
    // Set fields override the image's: empty cmd/entrypoint/env/working_dir/user take the
    // image's values (entrypoint_set distinguishes --entrypoint "" from no flag).
    ContainerConfig config;
    bool entrypoint_set = false;
    HostConfig host;
    bool pull_insecure = false;  // pull over plain http if the image is missing
};

// What `run` attaches to the container: the client's own fds, handed to the monitor.
struct AttachFds {
    int in = -1, out = -1, err = -1;
    unsigned rows = 0, cols = 0;  // the client's terminal size, set on the pty before start
};

// The attached client's end of a running monitor: signals and window sizes go to it, the
// container's exit code comes back.
class MonitorLink {
  public:
    explicit MonitorLink(UniqueFd control) : control_(std::move(control)) {}
    int fd() const { return control_.get(); }
    // Waits for the container's final exit (after restarts); -1 if the monitor died.
    int wait_exit();
    // Reads what arrived; true (with the code, -1 if the monitor died) once the exit came.
    bool read_exit(int& code);
    void forward_signal(int signal);
    void resize(unsigned rows, unsigned cols);
    // read_exit's true came from the detach keys (ctrl-p ctrl-q), not from an exit.
    bool detached() const { return detached_; }

  private:
    void send(const std::string& line);
    UniqueFd control_;
    std::string buffered_;
    bool detached_ = false;
};

class Engine {
  public:
    Engine(std::string root, std::string run_root);
    ~Engine();

    ContainerStore& containers() { return containers_; }
    images::Store& images();

    // The berth-monitor program (default: the one next to the running binary).
    void set_monitor_binary(std::string path) { monitor_binary_ = std::move(path); }

    // Records a new container (pulling its image if the store does not have it) and holds
    // its image in the image store. Returns the ID.
    std::string create(const CreateRequest& request);
    // The run state reconciled with the live processes: a container whose process is gone
    // is never shown running, whatever its monitor managed to record.
    RunState state(const std::string& id) const;
    // Starts a monitor for a created or exited container and returns once the program runs.
    // With `attach` the monitor writes the container's output to those fds (and reads its
    // stdin from attach->in when the container has OpenStdin) and the link reports the exit.
    // Throws ExitError (126/127) when the program cannot run.
    std::unique_ptr<MonitorLink> start(const std::string& id, const AttachFds* attach);
    // `berth attach`: the running container's monitor takes these fds as its client (in = -1:
    // no stdin); signals, sizes and the exit code travel over the returned link. Throws when
    // it is not running or another client is attached.
    std::unique_ptr<MonitorLink> attach(const std::string& id, const AttachFds& fds);
    // The image's StopSignal (or --stop-signal), then SIGKILL after `timeout` seconds
    // (default: the container's StopTimeout, else 10). Returns once it is recorded exited.
    void stop(const std::string& id, std::optional<int> timeout);
    void kill(const std::string& id, int signal);
    // Refuses a running container unless force (then it is killed first).
    void remove(const std::string& id, bool force, bool volumes);
    // Blocks until the container is not running; returns its exit code.
    int wait(const std::string& id);

  private:
    // Cleans up after a monitor that died: the runtime's state, the rootfs mount, and a run
    // state that still says running. Called under the container's lock.
    void reap_orphan(const std::string& id, RunState& st);
    void wait_monitor_gone(const std::string& id, int timeout_ms);

    ContainerStore containers_;
    std::unique_ptr<images::Store> images_;
    std::string monitor_binary_;
};

// Liveness of a recorded process: pid plus its start time (never a recycled pid).
bool process_alive(pid_t pid, uint64_t start_time);
uint64_t process_start_time(pid_t pid);

}  // namespace berth::engine
