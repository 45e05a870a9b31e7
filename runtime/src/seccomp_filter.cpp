#include "seccomp_filter.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include <cerrno>
#include <set>
#include <string>
#include <vector>

#include "berth/error.h"
#include "berth/fd.h"
#include "berth/file_io.h"
#include "seccomp_parse.h"

namespace berth::runtime {
namespace {

const std::string kField = "linux.seccomp";

uint32_t to_scmp_action(SeccompAction action, std::optional<uint32_t> errno_ret) {
    // The runtime spec: "If not specified then its default value is EPERM".
    uint32_t value = errno_ret.value_or(EPERM);
    switch (action) {
        case SeccompAction::kill_thread:
            return SCMP_ACT_KILL_THREAD;
        case SeccompAction::kill_process:
            return SCMP_ACT_KILL_PROCESS;
        case SeccompAction::trap:
            return SCMP_ACT_TRAP;
        case SeccompAction::errno_ret:
            return SCMP_ACT_ERRNO(value);
        case SeccompAction::trace:
            return SCMP_ACT_TRACE(value);
        case SeccompAction::allow:
            return SCMP_ACT_ALLOW;
        case SeccompAction::log:
            return SCMP_ACT_LOG;
    }
    return SCMP_ACT_KILL_PROCESS;
}

scmp_compare to_scmp_op(SeccompOp op) {
    switch (op) {
        case SeccompOp::ne:
            return SCMP_CMP_NE;
        case SeccompOp::lt:
            return SCMP_CMP_LT;
        case SeccompOp::le:
            return SCMP_CMP_LE;
        case SeccompOp::eq:
            return SCMP_CMP_EQ;
        case SeccompOp::ge:
            return SCMP_CMP_GE;
        case SeccompOp::gt:
            return SCMP_CMP_GT;
        case SeccompOp::masked_eq:
            return SCMP_CMP_MASKED_EQ;
    }
    return SCMP_CMP_EQ;
}

// libseccomp returns -errno.
void check(int rc, const std::string& what) {
    if (rc < 0) throw_errno(what, -rc);
}

bool compares_one_argument_twice(const std::vector<scmp_arg_cmp>& conditions) {
    std::set<unsigned> seen;
    for (const scmp_arg_cmp& c : conditions)
        if (!seen.insert(c.arg).second) return true;
    return false;
}

void add_rule(scmp_filter_ctx ctx, const SeccompRule& rule, uint32_t action, size_t index) {
    std::vector<scmp_arg_cmp> conditions;
    for (const SeccompArg& arg : rule.args)
        conditions.push_back({arg.index, to_scmp_op(arg.op), arg.value, arg.value_two});
    // libseccomp cannot AND two comparisons of the same argument. runc then adds each
    // comparison as a rule of its own (so they OR), and profiles written for runc rely on it.
    bool split = compares_one_argument_twice(conditions);
    const std::string field = kField + ".syscalls[" + std::to_string(index) + "]";
    for (const std::string& name : rule.names) {
        int nr = seccomp_syscall_resolve_name(name.c_str());
        const std::string what = field + ": add rule for \"" + name + "\"";
        if (!split) {
            check(seccomp_rule_add_array(ctx, action, nr, conditions.size(), conditions.data()),
                  what);
            continue;
        }
        for (const scmp_arg_cmp& condition : conditions)
            check(seccomp_rule_add_array(ctx, action, nr, 1, &condition), what);
    }
}

// libseccomp's context, released on every path.
struct ContextDeleter {
    void operator()(void* ctx) const noexcept { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

std::vector<sock_filter> export_bpf(scmp_filter_ctx ctx) {
    UniqueFd memfd(::memfd_create("berth-seccomp", MFD_CLOEXEC));
    if (!memfd) throw_errno(kField + ": memfd for the compiled filter");
    check(seccomp_export_bpf(ctx, memfd.get()), kField + ": compile the filter");
    std::string bytes = read_file("/proc/self/fd/" + std::to_string(memfd.get()));
    if (bytes.empty() || bytes.size() % sizeof(sock_filter) != 0)
        throw Error(kField + ": libseccomp produced no usable program");
    std::vector<sock_filter> program(bytes.size() / sizeof(sock_filter));
    std::memcpy(program.data(), bytes.data(), bytes.size());
    return program;
}

// Cache entry: "<key length>\n<key><program bytes>", the key being the profile and the
// libseccomp version; a hit must match the key exactly, so a hash collision can never load
// another profile's program.
std::string cache_key(const Seccomp& config) {
    const scmp_version* v = seccomp_version();
    return "libseccomp " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
           std::to_string(v->micro) + "\n" + config.source;
}

std::string cache_path(const std::string& dir, const std::string& key) {
    uint64_t hash = 1469598103934665603ULL;  // FNV-1a
    for (unsigned char c : key) hash = (hash ^ c) * 1099511628211ULL;
    char name[32];
    std::snprintf(name, sizeof name, "%016llx.bpf", static_cast<unsigned long long>(hash));
    return dir + "/" + name;
}

bool read_cached(const std::string& path, const std::string& key,
                 std::vector<sock_filter>& program) {
    std::string entry;
    try {
        entry = read_file(path);
    } catch (const Error&) {
        return false;
    }
    std::string header = std::to_string(key.size()) + "\n";
    if (entry.compare(0, header.size(), header) != 0 ||
        entry.compare(header.size(), key.size(), key) != 0)
        return false;
    size_t offset = header.size() + key.size();
    size_t bytes = entry.size() - offset;
    if (bytes == 0 || bytes % sizeof(sock_filter) != 0) return false;
    program.resize(bytes / sizeof(sock_filter));
    std::memcpy(program.data(), entry.data() + offset, bytes);
    return true;
}

void write_cached(const std::string& dir, const std::string& path, const std::string& key,
                  const std::vector<sock_filter>& program) {
    try {
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return;
        std::string entry = std::to_string(key.size()) + "\n" + key;
        entry.append(reinterpret_cast<const char*>(program.data()),
                     program.size() * sizeof(sock_filter));
        write_file_atomic(path, entry, 0600);
    } catch (const Error&) {
        // A cache we cannot write only costs time.
    }
}

}  // namespace

SeccompFilter::SeccompFilter(const Seccomp& config, const std::string& cache_dir) {
    if (config.flag_tsync) flags_ |= SECCOMP_FILTER_FLAG_TSYNC;
    if (config.flag_log) flags_ |= SECCOMP_FILTER_FLAG_LOG;
    if (config.flag_spec_allow) flags_ |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    if (cache_dir.empty()) {
        compile(config);
        return;
    }
    std::string key = cache_key(config);
    std::string path = cache_path(cache_dir, key);
    from_cache_ = read_cached(path, key, program_);
    if (from_cache_) return;
    compile(config);
    write_cached(cache_dir, path, key, program_);
}

void SeccompFilter::compile(const Seccomp& config) {
    const uint32_t default_action = to_scmp_action(config.default_action, config.default_errno_ret);
    Context owner(seccomp_init(default_action));
    if (!owner) throw Error(kField + ".defaultAction: libseccomp refused to create a filter");
    scmp_filter_ctx ctx = owner.get();
    for (size_t i = 0; i < config.architectures.size(); ++i) {
        int rc = seccomp_arch_add(ctx, seccomp_arch_token(config.architectures[i]));
        if (rc != -EEXIST)  // the native architecture is always there
            check(rc, kField + ".architectures[" + std::to_string(i) + "]: add " +
                          config.architectures[i]);
    }
    for (size_t i = 0; i < config.syscalls.size(); ++i) {
        const SeccompRule& rule = config.syscalls[i];
        uint32_t action = to_scmp_action(rule.action, rule.errno_ret);
        // The default already does this, and libseccomp refuses such rules (EACCES); runc and
        // crun skip them as well.
        if (action == default_action) continue;
        add_rule(ctx, rule, action, i);
    }
    program_ = export_bpf(ctx);
}

// What seccomp_load does, minus no_new_privs: process.noNewPrivileges decides that.
void SeccompFilter::load() const {
    sock_fprog prog{static_cast<unsigned short>(program_.size()),
                    const_cast<sock_filter*>(program_.data())};
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags_, &prog) != 0)
        throw_errno(kField + ": load the filter");
}

void load_seccomp(const Seccomp& config) {
    SeccompFilter(config).load();
}

}  // namespace berth::runtime
