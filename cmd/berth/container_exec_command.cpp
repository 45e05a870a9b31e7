// berth exec [-i] [-t] [-d] [-e K=V] [-u USER[:GROUP]] [-w DIR] CONTAINER CMD...
#include <fcntl.h>
#include <unistd.h>

#include <memory>

#include "berth/engine/engine.h"
#include "berth/engine/exec.h"
#include "berth/runtime/runtime.h"
#include "container_commands.h"

namespace berth::cli {
namespace {

struct ExecFlags {
    bool interactive = false, tty = false, detach = false;
    std::vector<std::string> env;
    std::string user, workdir;
};

}  // namespace

void add_exec_verb(CLI::App& app, GlobalFlags& g, Action& action, int argc, char** argv) {
    auto f = std::make_shared<ExecFlags>();
    CLI::App* cmd = app.add_subcommand("exec", "run a command in a running container");
    cmd->add_flag("-i,--interactive", f->interactive, "keep stdin attached");
    cmd->add_flag("-t,--tty", f->tty, "allocate a pty");
    cmd->add_flag("-d,--detach", f->detach, "run in the background");
    cmd->add_option("-e,--env", f->env, "K=V")->allow_extra_args(false);
    cmd->add_option("-u,--user", f->user, "USER[:GROUP] (names from the container's passwd)");
    cmd->add_option("-w,--workdir", f->workdir, "working directory");
    cmd->prefix_command();
    cmd->callback([&, f, cmd, argc, argv] {
        action = [&g, f, cmd, argc, argv] {
            return container_action([&] {
                std::vector<std::string> rest = cmd->remaining();
                if (rest.size() < 2)
                    throw Error("\"exec\" requires at least 2 arguments: CONTAINER COMMAND...");
                // The new process is forked from this one into the container: run from a
                // read-only image of the binary first (CVE-2019-5736).
                runtime::ensure_running_from_sealed_copy(argc, argv);
                engine::Engine eng(g.root, g.run_root);
                engine::ExecRequest req;
                req.args.assign(rest.begin() + 1, rest.end());
                req.env = f->env;
                req.user = f->user;
                req.workdir = f->workdir;
                req.interactive = f->interactive;
                req.tty = f->tty;
                req.detach = f->detach;
                return engine::exec_in_container(eng, eng.containers().resolve(rest.front()), req);
            });
        };
    });
}

}  // namespace berth::cli
