#include "exec_process.h"

#include <grp.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "berth/error.h"

namespace berth::runtime {
namespace {

bool contains(const std::vector<int>& set, int cap) {
    return std::find(set.begin(), set.end(), cap) != set.end();
}

void drop_bounding_set(const Capabilities& caps) {
    for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
        if (contains(caps.bounding, cap)) continue;
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
            throw_errno("process.capabilities.bounding: drop " + std::string(cap_to_name(cap)));
    }
}

void set_capability_sets(const Capabilities& caps) {
    cap_t state = cap_init();
    if (!state) throw_errno("cap_init");
    auto set_flags = [&](const std::vector<int>& list, cap_flag_t flag) {
        if (list.empty()) return;
        std::vector<cap_value_t> values(list.begin(), list.end());
        cap_set_flag(state, flag, static_cast<int>(values.size()), values.data(), CAP_SET);
    };
    set_flags(caps.effective, CAP_EFFECTIVE);
    set_flags(caps.permitted, CAP_PERMITTED);
    set_flags(caps.inheritable, CAP_INHERITABLE);
    int rc = cap_set_proc(state);
    int err = errno;
    cap_free(state);
    if (rc != 0) throw_errno("process.capabilities: set effective/permitted/inheritable", err);
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
        throw_errno("process.capabilities.ambient: clear");
    // The kernel only allows ambient capabilities that are also permitted and inheritable;
    // configs such as `runc spec`'s list ambient without inheritable, and runc and crun skip
    // those rather than fail, so we do the same.
    for (int cap : caps.ambient)
        if (contains(caps.inheritable, cap) && contains(caps.permitted, cap) &&
            ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
            throw_errno("process.capabilities.ambient: raise " + std::string(cap_to_name(cap)));
}

void switch_user(const User& user) {
    if (::setgroups(user.additional_gids.size(), user.additional_gids.data()) != 0)
        throw_errno("process.user.additionalGids: setgroups");
    if (::setresgid(user.gid, user.gid, user.gid) != 0)
        throw_errno("process.user.gid: setgid " + std::to_string(user.gid));
    if (::setresuid(user.uid, user.uid, user.uid) != 0)
        throw_errno("process.user.uid: setuid " + std::to_string(user.uid));
}

std::string find_env(const std::vector<std::string>& env, const std::string& key) {
    for (const std::string& entry : env)
        if (entry.size() > key.size() && entry.compare(0, key.size(), key) == 0 &&
            entry[key.size()] == '=')
            return entry.substr(key.size() + 1);
    return "";
}

// execvp semantics, but with PATH from the container's environment, not ours.
std::string resolve_program(const std::string& name, const std::vector<std::string>& env) {
    if (name.find('/') != std::string::npos) return name;
    std::string path = find_env(env, "PATH");
    if (path.empty()) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        std::string dir = path.substr(start, end - start);
        std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    errno = ENOENT;
    throw_errno("exec \"" + name + "\": executable file not found in $PATH", ENOENT);
}

// CVE-2024-21626: a leaked host fd used as cwd leaves the process outside the root;
// getcwd then reports "(unreachable)".
void enter_cwd(const std::string& cwd) {
    if (::chdir(cwd.c_str()) != 0) throw_errno("process.cwd: chdir " + cwd);
    char buf[PATH_MAX];
    if (!::getcwd(buf, sizeof buf) || buf[0] != '/')
        throw Error("process.cwd: " + cwd + " is outside the container root");
}

}  // namespace

void apply_rlimits(const Process& process) {
    for (const Rlimit& limit : process.rlimits) {
        rlimit value{limit.soft, limit.hard};
        if (::setrlimit(static_cast<__rlimit_resource>(limit.resource), &value) != 0)
            throw_errno("process.rlimits: set " + limit.name);
    }
}

void exec_user_process(const Process& process, const SeccompFilter* seccomp,
                       int first_fd_to_close) {
    // Without no_new_privs the kernel only lets a process holding CAP_SYS_ADMIN install a
    // filter, and the user switch and capability sets below may take it away; so, as runc
    // does, load first then (the profile must allow the few syscalls that follow). With
    // no_new_privs, load last so the filter sees as little of the runtime as possible.
    if (seccomp && !process.no_new_privileges) seccomp->load();
    const std::optional<Capabilities>& caps = process.capabilities;
    // Keep capabilities across the uid change so the spec's sets can be applied afterwards.
    if (caps && ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) throw_errno("prctl PR_SET_KEEPCAPS");
    if (caps) drop_bounding_set(*caps);
    switch_user(process.user);
    if (caps) {
        set_capability_sets(*caps);
        ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    }
    if (process.user.umask) ::umask(*process.user.umask);
    enter_cwd(process.cwd);
    std::string program = resolve_program(process.args[0], process.env);
    if (process.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        throw_errno("process.noNewPrivileges");

    std::vector<char*> argv, envp;
    for (const std::string& a : process.args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const std::string& e : process.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
    // Nothing of ours may reach the program (CVE-2024-21626): every fd past the preserved
    // ones closes at exec.
    if (::syscall(SYS_close_range, first_fd_to_close, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
        throw_errno("close_range");
    if (seccomp && process.no_new_privileges) seccomp->load();
    ::execve(program.c_str(), argv.data(), envp.data());
    throw_errno("exec " + program);
}

}  // namespace berth::runtime
