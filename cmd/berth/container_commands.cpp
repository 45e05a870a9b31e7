#include "container_commands.h"

#include <cstdio>

#include "berth/engine/engine.h"

namespace berth::cli {

int container_action(const std::function<int()>& body) {
    try {
        return body();
    } catch (const engine::ExitError& e) {
        std::fprintf(stderr, "berth: %s\n", e.what());
        return e.exit_code();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "berth: %s\n", e.what());
        return 125;
    }
}

void add_container_commands(CLI::App& app, GlobalFlags& g, Action& action, int argc, char** argv) {
    add_run_commands(app, g, action);
    add_lifecycle_verbs(app, g, action);
    add_query_verbs(app, g, action);
    add_exec_verb(app, g, action, argc, argv);
}

}  // namespace berth::cli
