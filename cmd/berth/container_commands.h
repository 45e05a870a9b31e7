// The container verbs, one file per group; registered together by add_container_commands.
#pragma once

#include <functional>

#include "commands.h"

namespace berth::cli {

// Runs a container verb: errors print one line and exit 125 (docker's code for the engine's
// own failures), or the code an engine::ExitError carries (126/127).
int container_action(const std::function<int()>& body);

void add_run_commands(CLI::App& app, GlobalFlags& g, Action& action);
void add_lifecycle_verbs(CLI::App& app, GlobalFlags& g, Action& action);
void add_query_verbs(CLI::App& app, GlobalFlags& g, Action& action);
void add_exec_verb(CLI::App& app, GlobalFlags& g, Action& action, int argc, char** argv);

}  // namespace berth::cli
