// berth's verb groups: each adds its subcommands and sets `action` to what runs after parsing.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace berth::cli {

struct GlobalFlags {
    std::string root = "/var/lib/berth";
};

using Action = std::function<int()>;

void add_image_commands(CLI::App& app, GlobalFlags& globals, Action& action);
void add_pull_command(CLI::App& app, GlobalFlags& globals, Action& action);
// `image history` and `image prune`, added to the `image` group.
void add_image_history_prune(CLI::App& image, GlobalFlags& globals, Action& action);
void add_login_commands(CLI::App& app, GlobalFlags& globals, Action& action);
void add_volume_commands(CLI::App& app, GlobalFlags& globals, Action& action);

}  // namespace berth::cli
