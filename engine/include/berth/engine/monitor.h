// The monitor (like podman's conmon): one per running container, the container's parent.
// It mounts the rootfs, writes the bundle, creates and starts the container through the
// runtime library, pumps its stdout/stderr into the JSON-lines log (and to an attached
// client), reaps it, records its exit code, FinishedAt and OOM kill, applies the restart
// policy with backoff and finally unmounts (and, with --rm, removes) the container.
//
// It is started by Engine::start as `berth-monitor [--attach] ID` in its own
// session (double fork), so it survives the command that started it. fd 3 is the control
// socket to that command; with --attach, fds 0-2 are the client's stdin/stdout/stderr.
#pragma once

#include <string>

namespace berth::engine {

// Never returns normally into the CLI: returns the process exit code.
// rows/cols: the attached terminal's size, given to the pty before the program starts.
int monitor_main(const std::string& root, const std::string& run_root, const std::string& id,
                 bool attach, unsigned rows = 0, unsigned cols = 0);

}  // namespace berth::engine
