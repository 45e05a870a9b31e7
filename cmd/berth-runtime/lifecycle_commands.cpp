#include <memory>

#include "berth/runtime/runtime.h"
#include "commands.h"

namespace berth::cli {
namespace {

using runtime::CreateOptions;
using runtime::Runtime;

void add_create_flags(CLI::App* cmd, CreateOptions& options) {
    cmd->add_option("-b,--bundle", options.bundle, "bundle directory")->capture_default_str();
    cmd->add_option("--pid-file", options.pid_file, "write the init's pid here");
    cmd->add_option("--console-socket", options.console_socket,
                    "unix socket that receives the pty master when process.terminal is true");
    cmd->add_flag("--no-pivot", options.no_pivot, "chroot instead of pivot_root (ramfs roots)");
    cmd->add_flag("--no-new-keyring", options.no_new_keyring, "keep the caller's session keyring");
    cmd->add_option("--preserve-fds", options.preserve_fds, "pass fds 3..3+N-1 to the program")
        ->check(CLI::NonNegativeNumber);
}

}  // namespace

void add_lifecycle_commands(CLI::App& app, const GlobalFlags& globals, Action& action, int argc,
                            char** argv) {
    // State shared by the callbacks; lives as long as the app.
    auto options = std::make_shared<CreateOptions>();
    auto id = std::make_shared<std::string>();
    auto flag = std::make_shared<bool>(false);
    auto signal = std::make_shared<std::string>("SIGTERM");

    CLI::App* create = app.add_subcommand("create", "create a container from a bundle");
    add_create_flags(create, *options);
    create->add_option("id", *id, "container id")->required();
    create->callback([=, &globals, &action] {
        action = [=, &globals] {
            runtime::ensure_running_from_sealed_copy(argc, argv);
            Runtime(globals.root).create(*id, *options);
            return 0;
        };
    });

    CLI::App* run = app.add_subcommand("run", "create and start a container");
    add_create_flags(run, *options);
    run->add_flag("-d,--detach", *flag, "return once the program runs");
    auto keep = std::make_shared<bool>(false);
    run->add_flag("--keep", *keep, "accepted for runc compatibility");
    run->add_option("id", *id, "container id")->required();
    run->callback([=, &globals, &action] {
        action = [=, &globals] {
            runtime::ensure_running_from_sealed_copy(argc, argv);
            return Runtime(globals.root).run(*id, *options, *flag);
        };
    });

    CLI::App* start = app.add_subcommand("start", "run the program of a created container");
    start->add_option("id", *id, "container id")->required();
    start->callback([=, &globals, &action] {
        action = [=, &globals] {
            Runtime(globals.root).start(*id);
            return 0;
        };
    });

    CLI::App* kill = app.add_subcommand("kill", "send a signal to the container's init");
    kill->add_flag("-a,--all", *flag, "signal every process of the container");
    kill->add_option("id", *id, "container id")->required();
    kill->add_option("signal", *signal, "name or number (default SIGTERM)");
    kill->callback([=, &globals, &action] {
        action = [=, &globals] {
            Runtime(globals.root).kill(*id, runtime::parse_signal(*signal), *flag);
            return 0;
        };
    });

    CLI::App* del = app.add_subcommand("delete", "remove a stopped (or, with --force, any) container");
    del->add_flag("-f,--force", *flag, "kill the container first if it is running");
    del->add_option("id", *id, "container id")->required();
    del->callback([=, &globals, &action] {
        action = [=, &globals] {
            Runtime(globals.root).remove(*id, *flag);
            return 0;
        };
    });
}

}  // namespace berth::cli
