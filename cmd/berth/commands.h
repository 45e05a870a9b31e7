// berth's verb groups: each adds its subcommands and sets `action` to what runs after parsing.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <string>

namespace berth::cli {

struct GlobalFlags {
    std::string root = "/var/lib/berth";
    std::string run_root = "/run/berth";  // state that must not survive a reboot
};

using Action = std::function<int()>;

void add_image_commands(CLI::App& app, GlobalFlags& globals, Action& action);
void add_pull_command(CLI::App& app, GlobalFlags& globals, Action& action);
// `image history` and `image prune`, added to the `image` group.
void add_image_history_prune(CLI::App& image, GlobalFlags& globals, Action& action);
void add_login_commands(CLI::App& app, GlobalFlags& globals, Action& action);
void add_network_commands(CLI::App& app, GlobalFlags& globals, Action& action);
// `image analyze`, added to the `image` group.
void add_image_analyze(CLI::App& image, GlobalFlags& globals, Action& action);
// `diff` and `commit` of a container's writable layer.
void add_diff_commit_commands(CLI::App& app, GlobalFlags& globals, Action& action);
// run create start stop restart kill rm wait logs exec ps inspect.
void add_container_commands(CLI::App& app, GlobalFlags& globals, Action& action, int argc,
                            char** argv);
// --max-layer-size SIZE ("64GiB", "8M"...): decompressed bytes per layer before it is a bomb.
void add_max_layer_size(CLI::App& cmd, uint64_t& bytes);
void add_volume_commands(CLI::App& app, GlobalFlags& globals, Action& action);
// cp stats top rename pause unpause, container prune.
void add_container_extras(CLI::App& app, GlobalFlags& globals, Action& action);

}  // namespace berth::cli
