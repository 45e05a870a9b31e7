#include "container_init.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "berth/error.h"
#include "berth/file_io.h"
#include "console.h"
#include "exec_process.h"
#include "hooks.h"
#include "loopback.h"
#include "rootfs_setup.h"
#include "seccomp_filter.h"
#include "sync_channel.h"

namespace berth::runtime {
namespace {

constexpr int KEYCTL_JOIN_SESSION_KEYRING_OP = 1;

int clone_flag(NamespaceType type) {
    switch (type) {
        case NamespaceType::pid:
            return CLONE_NEWPID;
        case NamespaceType::network:
            return CLONE_NEWNET;
        case NamespaceType::mount:
            return CLONE_NEWNS;
        case NamespaceType::ipc:
            return CLONE_NEWIPC;
        case NamespaceType::uts:
            return CLONE_NEWUTS;
        case NamespaceType::cgroup:
            return CLONE_NEWCGROUP;
        case NamespaceType::user:
            return CLONE_NEWUSER;
    }
    return 0;
}

std::string expect(int sync_fd, const char* kind) {
    std::string message = receive_message(sync_fd);
    if (!has_kind(message, kind))
        throw Error(std::string("container init: runtime went away while waiting for ") + kind);
    return message.substr(std::string(kind).size());
}

void join_namespaces(const InitContext& context) {
    // The user namespace first (it owns the others and grants the rights to join them), the
    // mount namespace last: the rootfs path must be resolved where the container will live.
    auto pass_of = [](NamespaceType type) {
        return type == NamespaceType::user ? 0 : type == NamespaceType::mount ? 2 : 1;
    };
    for (int pass = 0; pass < 3; ++pass)
        for (const auto& [type, fd] : context.join_namespaces) {
            if (pass_of(type) != pass) continue;
            if (::setns(fd, clone_flag(type)) != 0)
                throw_errno("linux.namespaces: join " + namespace_type_name(type) + " namespace");
        }
}

void set_identity_names(const Spec& spec) {
    if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) != 0)
        throw_errno("hostname: sethostname " + spec.hostname);
    if (!spec.domainname.empty() &&
        ::setdomainname(spec.domainname.data(), spec.domainname.size()) != 0)
        throw_errno("domainname: setdomainname " + spec.domainname);
}

// Everything up to the point where the init waits for `start`.
void prepare(const InitContext& context, std::string& state_for_hooks) {
    const Spec& spec = context.spec;
    expect(context.sync_fd, "PLACED");
    join_namespaces(context);
    // In a user namespace our host uid may be unmapped: become its root, which the mappings
    // the runtime wrote translate to the host ids the container owns.
    if (context.in_user_namespace) {
        if (::setresgid(0, 0, 0) != 0)
            throw_errno("linux.gidMappings: become gid 0 in the user namespace");
        if (::setresuid(0, 0, 0) != 0)
            throw_errno("linux.uidMappings: become uid 0 in the user namespace");
    }
    // A cgroup namespace rooted at the container's own cgroup: it sees itself as "/".
    if (context.new_cgroup_namespace && ::unshare(CLONE_NEWCGROUP) != 0)
        throw_errno("linux.namespaces: new cgroup namespace");
    if (context.new_network_namespace) bring_up_loopback();
    if (!context.options.no_new_keyring &&
        ::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING_OP, nullptr) < 0 && errno != ENOSYS)
        throw_errno("create session keyring");
    set_identity_names(spec);

    UniqueFd root = prepare_rootfs({spec, context.rootfs, context.bundle});
    send_message(context.sync_fd, "MOUNTED");
    state_for_hooks = expect(context.sync_fd, "HOOKS ");
    run_hooks(spec.hooks.create_container, "createContainer", state_for_hooks);
    enter_rootfs(root.get(), context.options.no_pivot);
    root.reset();
    if (spec.process.terminal) setup_console(context.console_fd, true, spec.process.console_size);
    finish_rootfs(spec);
    apply_rlimits(spec.process);
}

std::string with_status(const std::string& state_json, const char* status) {
    auto doc = nlohmann::json::parse(state_json, nullptr, false);
    if (doc.is_discarded()) return state_json;
    doc["status"] = status;
    return doc.dump();
}

void report_to_start(int conn, const std::string& message) {
    [[maybe_unused]] ssize_t n = ::send(conn, message.data(), message.size(), MSG_NOSIGNAL);
}

}  // namespace

void container_init_main(const InitContext& context) {
    std::string state_json;
    try {
        // If the runtime dies before the container is created, the init must not linger.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        prepare(context, state_json);
        send_message(context.sync_fd, "CREATED");
        expect(context.sync_fd, "GO");
        ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        send_message(context.sync_fd, "DETACHED");
    } catch (const std::exception& e) {
        try {
            send_message(context.sync_fd, std::string("ERROR ") + e.what());
        } catch (...) {
        }
        ::_exit(1);
    }
    ::close(context.sync_fd);

    int conn;
    do conn = ::accept4(context.start_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    while (conn < 0 && errno == EINTR);
    if (conn < 0) ::_exit(1);
    ::close(context.start_listen_fd);
    char go;
    [[maybe_unused]] ssize_t n = ::read(conn, &go, 1);  // EOF also means go: the socket is gone
    try {
        run_hooks(context.spec.hooks.start_container, "startContainer",
                  with_status(state_json, "created"));
        exec_user_process(context.spec.process, context.seccomp, 3 + context.options.preserve_fds);
    } catch (const Error& e) {
        report_to_start(conn, e.what());
        ::_exit(e.errno_value() == ENOENT ? 127 : 126);
    } catch (const std::exception& e) {
        report_to_start(conn, e.what());
        ::_exit(126);
    }
}

}  // namespace berth::runtime
