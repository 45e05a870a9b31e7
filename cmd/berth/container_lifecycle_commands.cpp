// berth start | stop | restart | kill | rm | wait
#include <cstdio>
#include <memory>
#include <optional>

#include "berth/engine/engine.h"
#include "berth/runtime/runtime.h"
#include "container_commands.h"

namespace berth::cli {
namespace {

struct LifecycleFlags {
    std::vector<std::string> refs;
    int timeout = -1;
    std::string signal = "KILL";
    bool force = false, volumes = false;
};

// Each reference in turn, as docker does: a failing one is reported and the rest still run;
// the exit code is 125 if any failed... unless `each` gives another one.
int for_each(const GlobalFlags& g, const LifecycleFlags& f,
             const std::function<void(engine::Engine&, const std::string& id)>& each,
             bool print = true) {
    engine::Engine eng(g.root, g.run_root);
    int rc = 0;
    for (const std::string& ref : f.refs) {
        int code = container_action([&] {
            each(eng, eng.containers().resolve(ref));
            if (print) std::printf("%s\n", ref.c_str());
            return 0;
        });
        if (code != 0) rc = code;
    }
    return rc;
}

std::optional<int> timeout_of(const LifecycleFlags& f) {
    return f.timeout >= 0 ? std::optional<int>(f.timeout) : std::nullopt;
}

}  // namespace

void add_lifecycle_verbs(CLI::App& app, GlobalFlags& g, Action& action) {
    auto f = std::make_shared<LifecycleFlags>();
    auto refs = [&](CLI::App* cmd) {
        cmd->add_option("CONTAINER", f->refs, "name, ID or unique ID prefix")->required();
    };

    CLI::App* start = app.add_subcommand("start", "start stopped containers");
    refs(start);
    start->callback([&, f] {
        action = [&g, f] {
            return for_each(g, *f,
                            [](engine::Engine& e, const std::string& id) { e.start(id, nullptr); });
        };
    });

    CLI::App* stop = app.add_subcommand("stop", "stop containers (StopSignal, then SIGKILL)");
    refs(stop);
    stop->add_option("-t,--time", f->timeout, "seconds to wait before killing (default 10)");
    stop->callback([&, f] {
        action = [&g, f] {
            return for_each(g, *f, [f](engine::Engine& e, const std::string& id) {
                e.stop(id, timeout_of(*f));
            });
        };
    });

    CLI::App* restart = app.add_subcommand("restart", "stop, then start containers");
    refs(restart);
    restart->add_option("-t,--time", f->timeout, "seconds to wait before killing (default 10)");
    restart->callback([&, f] {
        action = [&g, f] {
            return for_each(g, *f, [f](engine::Engine& e, const std::string& id) {
                e.stop(id, timeout_of(*f));
                e.start(id, nullptr);
            });
        };
    });

    CLI::App* kill = app.add_subcommand("kill", "send a signal to containers (default KILL)");
    refs(kill);
    kill->add_option("-s,--signal", f->signal, "name or number");
    kill->callback([&, f] {
        action = [&g, f] {
            int sig = 0;
            int rc = container_action([&] {
                sig = runtime::parse_signal(f->signal);
                return 0;
            });
            if (rc) return rc;
            return for_each(g, *f,
                            [sig](engine::Engine& e, const std::string& id) { e.kill(id, sig); });
        };
    });

    CLI::App* rm = app.add_subcommand("rm", "remove containers");
    refs(rm);
    rm->add_flag("-f,--force", f->force, "kill a running container first");
    rm->add_flag("-v,--volumes", f->volumes, "also remove its anonymous volumes");
    rm->callback([&, f] {
        action = [&g, f] {
            return for_each(g, *f, [f](engine::Engine& e, const std::string& id) {
                e.remove(id, f->force, f->volumes);
            });
        };
    });

    CLI::App* wait = app.add_subcommand("wait", "wait for containers to stop; print exit codes");
    refs(wait);
    wait->callback([&, f] {
        action = [&g, f] {
            return for_each(
                g, *f,
                [](engine::Engine& e, const std::string& id) {
                    std::printf("%d\n", e.wait(id));
                    std::fflush(stdout);
                },
                false);
        };
    });
}

}  // namespace berth::cli
