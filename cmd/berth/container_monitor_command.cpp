// berth container-monitor [--attach] ID: the monitor process Engine::start spawns (hidden).
#include <memory>

#include "berth/engine/monitor.h"
#include "berth/runtime/runtime.h"
#include "container_commands.h"

namespace berth::cli {

void add_monitor_verb(CLI::App& app, GlobalFlags& g, Action& action, int argc, char** argv) {
    struct Flags {
        std::string id;
        bool attach = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = app.add_subcommand("container-monitor", "");  // empty: not in --help
    cmd->group("");
    cmd->add_option("ID", f->id)->required();
    cmd->add_flag("--attach", f->attach);
    cmd->callback([&, f, argc, argv] {
        action = [&g, f, argc, argv] {
            // The container's init is cloned from this process: run from a read-only (or
            // sealed) image of the binary, so /proc/<init>/exe never reaches a writable
            // berth on the host (CVE-2019-5736), as berth-runtime does.
            runtime::ensure_running_from_sealed_copy(argc, argv);
            return engine::monitor_main(g.root, g.run_root, f->id, f->attach);
        };
    });
}

}  // namespace berth::cli
