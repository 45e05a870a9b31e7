#include <memory>

#include "berth/error.h"
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
            options->cgroups_disabled = globals.cgroup_manager == "disabled";
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
            options->cgroups_disabled = globals.cgroup_manager == "disabled";
            return Runtime(globals.root).run(*id, *options, *flag);
        };
    });

    auto exec_options = std::make_shared<runtime::ExecOptions>();
    auto exec_user = std::make_shared<std::string>();
    CLI::App* exec = app.add_subcommand("exec", "run a new process in a running container");
    exec->add_option("-p,--process", exec_options->process_file, "OCI process JSON to run");
    exec->add_flag("-d,--detach", exec_options->detach, "return once the process runs");
    exec->add_option("--pid-file", exec_options->pid_file, "write the process's pid here");
    exec->add_option("--console-socket", exec_options->console_socket, "receives the pty master");
    exec->add_flag("-t,--tty", exec_options->tty, "allocate a pty");
    exec->add_option("--cwd", exec_options->cwd, "working directory in the container");
    exec->add_option("-e,--env", exec_options->env, "K=V, repeatable");
    exec->add_option("-u,--user", *exec_user, "UID[:GID]");
    exec->add_option("-c,--cap", exec_options->caps_add, "add a capability, repeatable");
    exec->add_flag("--no-new-privs", exec_options->no_new_privileges, "set no_new_privs");
    exec->add_option("--preserve-fds", exec_options->preserve_fds, "pass fds 3..3+N-1")
        ->check(CLI::NonNegativeNumber);
    // Everything from the container id on is ours, not CLI11's: `exec ID sh -c 'x'`.
    exec->prefix_command();
    exec->callback([=, &globals, &action] {
        action = [=, &globals] {
            std::vector<std::string> rest = exec->remaining();
            if (rest.empty()) throw Error("exec: container id required");
            std::string exec_id = rest.front();
            exec_options->args.assign(rest.begin() + 1, rest.end());
            if (!exec_user->empty()) {
                size_t colon = exec_user->find(':');
                try {
                    exec_options->uid = static_cast<uid_t>(std::stoul(exec_user->substr(0, colon)));
                    if (colon != std::string::npos)
                        exec_options->gid =
                            static_cast<gid_t>(std::stoul(exec_user->substr(colon + 1)));
                } catch (const std::exception&) {
                    throw Error("exec --user: \"" + *exec_user + "\" is not UID[:GID]");
                }
            }
            runtime::ensure_running_from_sealed_copy(argc, argv);
            return Runtime(globals.root).exec(exec_id, *exec_options);
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

    CLI::App* del =
        app.add_subcommand("delete", "remove a stopped (or, with --force, any) container");
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
