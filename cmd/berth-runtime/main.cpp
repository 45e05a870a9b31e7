// berth-runtime: an OCI runtime with runc's command line.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "berth/error.h"
#include "commands.h"

int main(int argc, char** argv) {
    using namespace berth::cli;
    // Writes to hooks, sockets and pipes report EPIPE instead of killing the runtime; the
    // container's program gets default dispositions back before exec.
    ::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"berth-runtime: run OCI bundles under Linux namespaces (runc-compatible CLI)",
                 "berth-runtime"};
    app.require_subcommand(1);
    GlobalFlags globals;
    app.add_option("--root", globals.root, "state directory")->capture_default_str();
    app.add_option("--log", globals.log_file, "also write errors to this file");
    app.add_option("--log-format", globals.log_format, "log file format")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_flag("--debug", globals.debug, "accepted for runc compatibility");
    app.add_flag("--systemd-cgroup", globals.systemd_cgroup, "accepted for runc compatibility");
    // crun's flag, which podman passes with --cgroups disabled: then no cgroup is created.
    app.add_option("--cgroup-manager", globals.cgroup_manager,
                   "disabled: create no cgroup (cgroupfs, systemd: the default cgroupfs driver)")
        ->check(CLI::IsMember({"disabled", "cgroupfs", "systemd"}));
    Action action;
    add_lifecycle_commands(app, globals, action, argc, argv);
    add_info_commands(app, globals, action);
    add_cgroup_commands(app, globals, action);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        return action();
    } catch (const std::exception& e) {
        report_error(globals, e.what());
        return 1;
    }
}
