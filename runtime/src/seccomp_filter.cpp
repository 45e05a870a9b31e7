#include "seccomp_filter.h"

#include <seccomp.h>

#include <cerrno>
#include <set>
#include <string>
#include <vector>

#include "berth/error.h"
#include "seccomp_parse.h"

namespace berth::runtime {
namespace {

const std::string kField = "linux.seccomp";

uint32_t to_scmp_action(SeccompAction action, std::optional<uint32_t> errno_ret) {
    // The runtime spec: "If not specified then its default value is EPERM".
    uint32_t value = errno_ret.value_or(EPERM);
    switch (action) {
        case SeccompAction::kill_thread: return SCMP_ACT_KILL_THREAD;
        case SeccompAction::kill_process: return SCMP_ACT_KILL_PROCESS;
        case SeccompAction::trap: return SCMP_ACT_TRAP;
        case SeccompAction::errno_ret: return SCMP_ACT_ERRNO(value);
        case SeccompAction::trace: return SCMP_ACT_TRACE(value);
        case SeccompAction::allow: return SCMP_ACT_ALLOW;
        case SeccompAction::log: return SCMP_ACT_LOG;
    }
    return SCMP_ACT_KILL_PROCESS;
}

scmp_compare to_scmp_op(SeccompOp op) {
    switch (op) {
        case SeccompOp::ne: return SCMP_CMP_NE;
        case SeccompOp::lt: return SCMP_CMP_LT;
        case SeccompOp::le: return SCMP_CMP_LE;
        case SeccompOp::eq: return SCMP_CMP_EQ;
        case SeccompOp::ge: return SCMP_CMP_GE;
        case SeccompOp::gt: return SCMP_CMP_GT;
        case SeccompOp::masked_eq: return SCMP_CMP_MASKED_EQ;
    }
    return SCMP_CMP_EQ;
}

// libseccomp returns -errno.
void check(int rc, const std::string& what) {
    if (rc < 0) throw_errno(what, -rc);
}

void set_attr(scmp_filter_ctx ctx, scmp_filter_attr attr, uint32_t value, const std::string& what) {
    check(seccomp_attr_set(ctx, attr, value), what);
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

}  // namespace

void SeccompFilter::Release::operator()(void* ctx) const noexcept { seccomp_release(ctx); }

SeccompFilter::SeccompFilter(const Seccomp& config) {
    const uint32_t default_action = to_scmp_action(config.default_action, config.default_errno_ret);
    ctx_.reset(seccomp_init(default_action));
    if (!ctx_) throw Error(kField + ".defaultAction: libseccomp refused to create a filter");
    scmp_filter_ctx ctx = ctx_.get();
    // libseccomp sets no_new_privs itself by default; process.noNewPrivileges decides that.
    set_attr(ctx, SCMP_FLTATR_CTL_NNP, 0, kField + ": clear libseccomp's no_new_privs default");
    // Report the kernel's errno from seccomp_load, not libseccomp's generic ECANCELED.
    set_attr(ctx, SCMP_FLTATR_API_SYSRAWRC, 1, kField + ": ask libseccomp for raw return codes");
    for (size_t i = 0; i < config.architectures.size(); ++i) {
        int rc = seccomp_arch_add(ctx, seccomp_arch_token(config.architectures[i]));
        if (rc != -EEXIST)  // the native architecture is always there
            check(rc, kField + ".architectures[" + std::to_string(i) + "]: add " +
                          config.architectures[i]);
    }
    if (config.flag_tsync)
        set_attr(ctx, SCMP_FLTATR_CTL_TSYNC, 1, kField + ".flags: SECCOMP_FILTER_FLAG_TSYNC");
    if (config.flag_log)
        set_attr(ctx, SCMP_FLTATR_CTL_LOG, 1, kField + ".flags: SECCOMP_FILTER_FLAG_LOG");
    if (config.flag_spec_allow)
        set_attr(ctx, SCMP_FLTATR_CTL_SSB, 1, kField + ".flags: SECCOMP_FILTER_FLAG_SPEC_ALLOW");
    for (size_t i = 0; i < config.syscalls.size(); ++i) {
        const SeccompRule& rule = config.syscalls[i];
        uint32_t action = to_scmp_action(rule.action, rule.errno_ret);
        // The default already does this, and libseccomp refuses such rules (EACCES); runc and
        // crun skip them as well.
        if (action == default_action) continue;
        add_rule(ctx, rule, action, i);
    }
}

void SeccompFilter::load() const {
    check(seccomp_load(ctx_.get()), kField + ": load the filter");
}

void load_seccomp(const Seccomp& config) { SeccompFilter(config).load(); }

}  // namespace berth::runtime
