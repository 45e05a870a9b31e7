// berth: images (and, with later issues, containers, networks, the agent) from one CLI.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "commands.h"

int main(int argc, char** argv) {
    using namespace berth::cli;
    CLI::App app{"berth: images and containers on Linux primitives", "berth"};
    app.require_subcommand(1);
    GlobalFlags globals;
    app.add_option("--root", globals.root, "store directory")->capture_default_str();
    app.add_option("--runroot", globals.run_root, "run-time state (sockets, runtime state)")
        ->capture_default_str();
    Action action;
    add_image_commands(app, globals, action);
    add_pull_command(app, globals, action);
    add_login_commands(app, globals, action);
    add_network_commands(app, globals, action);
    add_container_commands(app, globals, action, argc, argv);
    add_diff_commit_commands(app, globals, action);
    add_volume_commands(app, globals, action);
    add_container_extras(app, globals, action);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        return action();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "berth: %s\n", e.what());
        return 1;
    }
}
