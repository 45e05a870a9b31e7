// berth-runtime's verbs, registered on the CLI11 app. Each verb only parses its flags and calls
// the runtime library.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace berth::cli {

struct GlobalFlags {
    std::string root = "/run/berth-runtime";
    std::string log_file;
    std::string log_format = "text";
    bool debug = false;
    bool systemd_cgroup = false;
    std::string cgroup_manager;
};

// The verb to run after parsing; returns the process exit code.
using Action = std::function<int()>;

void add_lifecycle_commands(CLI::App& app, const GlobalFlags& globals, Action& action, int argc,
                            char** argv);
void add_cgroup_commands(CLI::App& app, const GlobalFlags& globals, Action& action);
void add_info_commands(CLI::App& app, const GlobalFlags& globals, Action& action);

// Reports an error on stderr and, with --log, in the log file in the requested format.
void report_error(const GlobalFlags& globals, const std::string& message);

}  // namespace berth::cli
