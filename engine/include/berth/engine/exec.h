// `exec`: a new process in a running container through the runtime library (it joins the
// container's namespaces and cgroup and gets its capabilities, seccomp profile and rlimits).
#pragma once

#include <string>
#include <vector>

namespace berth::engine {

class Engine;

struct ExecRequest {
    std::vector<std::string> args, env;
    std::string user, workdir;  // user names resolve through the container's /etc/passwd
    bool interactive = false, tty = false, detach = false;
};

// Returns the process's exit code (126/127 when it cannot run / does not exist).
int exec_in_container(Engine& engine, const std::string& id, const ExecRequest& request);

}  // namespace berth::engine
