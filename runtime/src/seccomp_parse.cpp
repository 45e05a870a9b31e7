// linux.seccomp -> Seccomp. Validates everything the filter builder relies on, so a bad
// profile fails at `create` with the field named, never halfway through building the filter.
#include "seccomp_parse.h"

#include <seccomp.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <nlohmann/json.hpp>
#include <string_view>

#include "berth/error.h"
#include "json_fields.h"
#include "seccomp_names.h"

namespace berth::runtime {
namespace {

using nlohmann::json;

const std::string kField = "linux.seccomp";
// The kernel clamps SECCOMP_RET_ERRNO data to MAX_ERRNO; anything larger is a typo.
constexpr uint64_t kMaxErrno = 4095;
constexpr uint64_t kMaxArgIndex = 5;  // syscalls take at most six arguments

std::string at(const std::string& field, size_t index) {
    return field + "[" + std::to_string(index) + "]";
}

const std::string& as_string(const json& value, const std::string& field) {
    if (!value.is_string()) field_error(field, "must be a string");
    return value.get_ref<const std::string&>();
}

const json& as_array(const json& value, const std::string& field) {
    if (!value.is_array()) field_error(field, "must be an array");
    return value;
}

uint64_t as_uint(const json& value, const std::string& field, uint64_t max) {
    if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<int64_t>() >= 0))
        field_error(field, "must be a non-negative integer");
    uint64_t v = value.get<uint64_t>();
    if (v > max) field_error(field, "must be at most " + std::to_string(max));
    return v;
}

SeccompAction parse_action(const json& value, const std::string& field) {
    const std::string& name = as_string(value, field);
    for (const auto& [known, action] : seccomp_action_names())
        if (name == known) return action;
    if (name == "SCMP_ACT_NOTIFY")
        field_error(field, "SCMP_ACT_NOTIFY (seccomp agents) is not supported by berth-runtime");
    field_error(field, "unknown seccomp action \"" + name + "\"");
}

SeccompOp parse_op(const json& value, const std::string& field) {
    const std::string& name = as_string(value, field);
    for (const auto& [known, op] : seccomp_op_names())
        if (name == known) return op;
    field_error(field, "unknown seccomp operator \"" + name + "\"");
}

bool takes_errno(SeccompAction action) {
    return action == SeccompAction::errno_ret || action == SeccompAction::trace;
}

// errnoRet / defaultErrnoRet: only meaningful for the actions that return a value, as the
// runtime spec requires a runtime to refuse it elsewhere.
std::optional<uint32_t> parse_errno(const json& object, const char* key, SeccompAction action,
                                    const std::string& field) {
    const json* value = member(object, key);
    if (!value) return std::nullopt;
    const std::string f = field + "." + key;
    if (!takes_errno(action)) field_error(f, "only applies to SCMP_ACT_ERRNO and SCMP_ACT_TRACE");
    return static_cast<uint32_t>(as_uint(*value, f, kMaxErrno));
}

std::vector<std::string> parse_architectures(const json& list, const std::string& field) {
    std::vector<std::string> out;
    for (size_t i = 0; i < as_array(list, field).size(); ++i) {
        const std::string& name = as_string(list[i], at(field, i));
        if (seccomp_arch_token(name) == 0)
            field_error(at(field, i), "unknown or unsupported architecture \"" + name + "\"");
        out.push_back(name);
    }
    return out;
}

void parse_flags(const json& list, const std::string& field, Seccomp& seccomp) {
    for (size_t i = 0; i < as_array(list, field).size(); ++i) {
        const std::string& name = as_string(list[i], at(field, i));
        if (name == "SECCOMP_FILTER_FLAG_TSYNC") {
            seccomp.flag_tsync = true;
        } else if (name == "SECCOMP_FILTER_FLAG_LOG") {
            seccomp.flag_log = true;
        } else if (name == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") {
            seccomp.flag_spec_allow = true;
        } else if (name == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") {
            field_error(at(field, i),
                        "not supported by berth-runtime (it only applies to "
                        "SCMP_ACT_NOTIFY)");
        } else {
            field_error(at(field, i), "unknown seccomp flag \"" + name + "\"");
        }
    }
}

SeccompArg parse_arg(const json& a, const std::string& field) {
    if (!a.is_object()) field_error(field, "must be an object");
    const json* index = member(a, "index");
    const json* value = member(a, "value");
    const json* op = member(a, "op");
    if (!index) field_error(field + ".index", "is required");
    if (!value) field_error(field + ".value", "is required");
    if (!op) field_error(field + ".op", "is required");
    SeccompArg arg;
    arg.index = static_cast<unsigned>(as_uint(*index, field + ".index", kMaxArgIndex));
    arg.value = as_uint(*value, field + ".value", std::numeric_limits<uint64_t>::max());
    if (const json* two = member(a, "valueTwo"))
        arg.value_two = as_uint(*two, field + ".valueTwo", std::numeric_limits<uint64_t>::max());
    arg.op = parse_op(*op, field + ".op");
    return arg;
}

SeccompRule parse_rule(const json& r, const std::string& field) {
    if (!r.is_object()) field_error(field, "must be an object");
    SeccompRule rule;
    const json* names = member(r, "names");
    if (!names || (names->is_array() && names->empty()))
        field_error(field + ".names", "must list at least one syscall");
    for (size_t i = 0; i < as_array(*names, field + ".names").size(); ++i) {
        const std::string& name = as_string((*names)[i], at(field + ".names", i));
        // Profiles such as Docker's list syscalls newer than some kernels and libseccomp
        // versions; runc and crun skip those and so do we. A pseudo-syscall of another
        // architecture (e.g. socketcall on x86_64) resolves and is kept.
        if (seccomp_syscall_resolve_name(name.c_str()) != __NR_SCMP_ERROR)
            rule.names.push_back(name);
    }
    const json* action = member(r, "action");
    if (!action) field_error(field + ".action", "is required");
    rule.action = parse_action(*action, field + ".action");
    rule.errno_ret = parse_errno(r, "errnoRet", rule.action, field);
    if (const json* args = member(r, "args"))
        for (size_t i = 0; i < as_array(*args, field + ".args").size(); ++i)
            rule.args.push_back(parse_arg((*args)[i], at(field + ".args", i)));
    return rule;
}

// Set means a seccomp agent would be contacted; silently running without it would drop the
// profile's intent.
void reject_listener(const json& s, const char* key) {
    const json* value = member(s, key);
    if (value && !(value->is_string() && value->get_ref<const std::string&>().empty()))
        field_error(kField + "." + key,
                    "seccomp agents (SCMP_ACT_NOTIFY) are not supported by "
                    "berth-runtime");
}

}  // namespace

uint32_t seccomp_arch_token(const std::string& name) {
    constexpr std::string_view prefix = "SCMP_ARCH_";
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return 0;
    std::string lower = name.substr(prefix.size());
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return seccomp_arch_resolve_name(lower.c_str());
}

Seccomp parse_seccomp(const json& s) {
    if (!s.is_object()) field_error(kField, "must be an object");
    reject_listener(s, "listenerPath");
    reject_listener(s, "listenerMetadata");
    Seccomp seccomp;
    const json* default_action = member(s, "defaultAction");
    if (!default_action) field_error(kField + ".defaultAction", "is required");
    seccomp.default_action = parse_action(*default_action, kField + ".defaultAction");
    seccomp.default_errno_ret = parse_errno(s, "defaultErrnoRet", seccomp.default_action, kField);
    if (const json* archs = member(s, "architectures"))
        seccomp.architectures = parse_architectures(*archs, kField + ".architectures");
    if (const json* flags = member(s, "flags")) parse_flags(*flags, kField + ".flags", seccomp);
    if (const json* syscalls = member(s, "syscalls"))
        for (size_t i = 0; i < as_array(*syscalls, kField + ".syscalls").size(); ++i)
            seccomp.syscalls.push_back(parse_rule((*syscalls)[i], at(kField + ".syscalls", i)));
    seccomp.source = s.dump();
    return seccomp;
}

}  // namespace berth::runtime
