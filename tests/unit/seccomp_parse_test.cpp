// linux.seccomp parsing: every error names its field, names libseccomp does not know are skipped
// (as runc and crun do), and what parses also compiles into a filter.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "berth/error.h"
#include "berth/runtime/runtime.h"
#include "berth/runtime/spec.h"
#include "seccomp_filter.h"

namespace berth::runtime {
namespace {

using nlohmann::json;

json config_with(const json& seccomp) {
    json c = json::parse(default_spec_json());
    c["linux"]["seccomp"] = seccomp;
    return c;
}

std::string error_of(const json& seccomp) {
    try {
        parse_spec(config_with(seccomp).dump());
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

Seccomp parsed(const json& seccomp) {
    Spec spec = parse_spec(config_with(seccomp).dump());
    EXPECT_TRUE(spec.linux.seccomp.has_value());
    return spec.linux.seccomp.value_or(Seccomp{});
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

// A profile that parses, to break one field at a time.
json valid_profile() {
    return {{"defaultAction", "SCMP_ACT_ALLOW"},
            {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}},
            {"syscalls",
             {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}},
              {{"names", {"kill"}},
               {"action", "SCMP_ACT_ERRNO"},
               {"args", {{{"index", 1}, {"value", 0}, {"op", "SCMP_CMP_EQ"}}}}}}}};
}

TEST(SeccompParse, DefaultSpecCarriesDockersProfile) {
    Spec spec = parse_spec(default_spec_json());
    ASSERT_TRUE(spec.linux.seccomp);
    const Seccomp& s = *spec.linux.seccomp;
    EXPECT_EQ(s.default_action, SeccompAction::errno_ret);
    EXPECT_EQ(s.default_errno_ret, 1u);
    ASSERT_FALSE(s.syscalls.empty());
    // Hundreds of syscalls allowed, those needing CAP_SYS_ADMIN not among them.
    const std::vector<std::string>& allowed = s.syscalls[0].names;
    EXPECT_GT(allowed.size(), 300u);
    EXPECT_TRUE(contains(allowed, "mkdir"));
    EXPECT_TRUE(contains(allowed, "execve"));
    for (const char* gated : {"mount", "umount2", "unshare", "setns", "bpf", "open_tree",
                              "move_mount", "fsopen", "sethostname", "kexec_load", "reboot"}) {
        for (const SeccompRule& rule : s.syscalls) {
            if (rule.action == SeccompAction::allow) {
                EXPECT_FALSE(contains(rule.names, gated)) << gated;
            }
        }
    }
    // clone3 -> ENOSYS so glibc falls back to clone, whose flags the filter can check.
    const SeccompRule& last = s.syscalls.back();
    EXPECT_EQ(last.names, std::vector<std::string>{"clone3"});
    EXPECT_EQ(last.errno_ret, 38u);
}

TEST(SeccompParse, FieldsAreParsed) {
    json p = valid_profile();
    p["flags"] = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
    p["syscalls"][1]["args"] = {
        {{"index", 0}, {"value", 0x7E020000}, {"valueTwo", 0}, {"op", "SCMP_CMP_MASKED_EQ"}}};
    Seccomp s = parsed(p);
    EXPECT_EQ(s.default_action, SeccompAction::allow);
    EXPECT_FALSE(s.default_errno_ret);
    EXPECT_EQ(s.architectures, (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}));
    EXPECT_FALSE(s.flag_tsync);
    EXPECT_TRUE(s.flag_log);
    EXPECT_TRUE(s.flag_spec_allow);
    ASSERT_EQ(s.syscalls.size(), 2u);
    EXPECT_EQ(s.syscalls[0].action, SeccompAction::errno_ret);
    EXPECT_EQ(s.syscalls[0].errno_ret, 1u);
    ASSERT_EQ(s.syscalls[1].args.size(), 1u);
    EXPECT_EQ(s.syscalls[1].args[0].op, SeccompOp::masked_eq);
    EXPECT_EQ(s.syscalls[1].args[0].value, 0x7E020000u);
    EXPECT_FALSE(s.syscalls[1].errno_ret);  // EPERM when the filter is built
}

TEST(SeccompParse, UnknownSyscallNamesAreSkipped) {
    json p = valid_profile();
    p["syscalls"][0]["names"] = {"berth_no_such_syscall", "mkdir", "rmdir"};
    p["syscalls"][1]["names"] = {"berth_no_such_syscall"};
    Seccomp s = parsed(p);
    ASSERT_EQ(s.syscalls.size(), 2u);  // indexes still match config.json
    EXPECT_EQ(s.syscalls[0].names, (std::vector<std::string>{"mkdir", "rmdir"}));
    EXPECT_TRUE(s.syscalls[1].names.empty());
    // Another architecture's syscall is not unknown: it applies where that architecture does.
    p["syscalls"][1]["names"] = {"socketcall"};
    EXPECT_EQ(parsed(p).syscalls[1].names, std::vector<std::string>{"socketcall"});
}

TEST(SeccompParse, ErrorsNameTheField) {
    const std::string pre = "config.json: linux.seccomp";
    EXPECT_EQ(error_of("ERRNO"), pre + ": must be an object");
    json p = valid_profile();
    p.erase("defaultAction");
    EXPECT_EQ(error_of(p), pre + ".defaultAction: is required");
    p = valid_profile();
    p["defaultAction"] = "SCMP_ACT_MAYBE";
    EXPECT_EQ(error_of(p), pre + ".defaultAction: unknown seccomp action \"SCMP_ACT_MAYBE\"");
    p = valid_profile();
    p["defaultErrnoRet"] = 1;
    EXPECT_EQ(error_of(p),
              pre + ".defaultErrnoRet: only applies to SCMP_ACT_ERRNO and SCMP_ACT_TRACE");
    p = valid_profile();
    p["syscalls"][1]["names"][0] = 42;
    EXPECT_EQ(error_of(p), pre + ".syscalls[1].names[0]: must be a string");
    p = valid_profile();
    p["syscalls"][1]["names"] = json::array();
    EXPECT_EQ(error_of(p), pre + ".syscalls[1].names: must list at least one syscall");
    p = valid_profile();
    p["syscalls"][0].erase("action");
    EXPECT_EQ(error_of(p), pre + ".syscalls[0].action: is required");
    p = valid_profile();
    p["syscalls"][0]["action"] = "SCMP_ACT_ALLOW";
    EXPECT_EQ(error_of(p),
              pre + ".syscalls[0].errnoRet: only applies to SCMP_ACT_ERRNO and SCMP_ACT_TRACE");
    p = valid_profile();
    p["syscalls"][0]["errnoRet"] = 100000;
    EXPECT_EQ(error_of(p), pre + ".syscalls[0].errnoRet: must be at most 4095");
    p = valid_profile();
    p["syscalls"][1]["args"][0]["op"] = "SCMP_CMP_ABOUT";
    EXPECT_EQ(error_of(p),
              pre + ".syscalls[1].args[0].op: unknown seccomp operator \"SCMP_CMP_ABOUT\"");
    p = valid_profile();
    p["syscalls"][1]["args"][0]["index"] = 6;
    EXPECT_EQ(error_of(p), pre + ".syscalls[1].args[0].index: must be at most 5");
    p = valid_profile();
    p["syscalls"][1]["args"][0].erase("value");
    EXPECT_EQ(error_of(p), pre + ".syscalls[1].args[0].value: is required");
    p = valid_profile();
    p["syscalls"][1]["args"][0]["value"] = -1;
    EXPECT_EQ(error_of(p), pre + ".syscalls[1].args[0].value: must be a non-negative integer");
    p = valid_profile();
    p["architectures"][1] = "SCMP_ARCH_Z80";
    EXPECT_EQ(error_of(p),
              pre + ".architectures[1]: unknown or unsupported architecture \"SCMP_ARCH_Z80\"");
    p = valid_profile();
    p["flags"] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_FAST"};
    EXPECT_EQ(error_of(p), pre + ".flags[1]: unknown seccomp flag \"SECCOMP_FILTER_FLAG_FAST\"");
}

TEST(SeccompParse, AgentsAreRefused) {
    const std::string pre = "config.json: linux.seccomp";
    json p = valid_profile();
    p["defaultAction"] = "SCMP_ACT_NOTIFY";
    EXPECT_EQ(error_of(p).rfind(pre + ".defaultAction: SCMP_ACT_NOTIFY", 0), 0u) << error_of(p);
    p = valid_profile();
    p["syscalls"][1]["action"] = "SCMP_ACT_NOTIFY";
    EXPECT_EQ(error_of(p).rfind(pre + ".syscalls[1].action: SCMP_ACT_NOTIFY", 0), 0u)
        << error_of(p);
    p = valid_profile();
    p["listenerPath"] = "/run/agent.sock";
    EXPECT_EQ(error_of(p).rfind(pre + ".listenerPath: ", 0), 0u) << error_of(p);
    p = valid_profile();
    p["flags"] = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
    EXPECT_EQ(error_of(p).rfind(pre + ".flags[0]: not supported", 0), 0u) << error_of(p);
}

// Compiling needs no privileges (only loading does), so the whole path up to the kernel is
// checked here.
TEST(SeccompFilter, ProfilesCompile) {
    Spec spec = parse_spec(default_spec_json());
    EXPECT_NO_THROW(SeccompFilter{*spec.linux.seccomp});
    EXPECT_NO_THROW(SeccompFilter{parsed(valid_profile())});
    // Two comparisons of one argument: libseccomp cannot AND them; like runc we add them as
    // separate rules instead of failing.
    json p = valid_profile();
    p["syscalls"][1]["args"] = {{{"index", 0}, {"value", 38}, {"op", "SCMP_CMP_EQ"}},
                                {{"index", 0}, {"value", 40}, {"op", "SCMP_CMP_EQ"}}};
    EXPECT_NO_THROW(SeccompFilter{parsed(p)});
    // A rule doing what the default does is skipped (libseccomp refuses it with EACCES).
    p = valid_profile();
    p["syscalls"][0] = {{"names", {"mkdir"}}, {"action", "SCMP_ACT_ALLOW"}};
    EXPECT_NO_THROW(SeccompFilter{parsed(p)});
}

TEST(SeccompFeatures, ListWhatIsImplemented) {
    json f = json::parse(features_json())["linux"]["seccomp"];
    EXPECT_EQ(f["enabled"], true);
    auto has = [](const json& list, const char* name) {
        return std::find(list.begin(), list.end(), name) != list.end();
    };
    EXPECT_TRUE(has(f["actions"], "SCMP_ACT_ERRNO"));
    EXPECT_FALSE(has(f["actions"], "SCMP_ACT_NOTIFY"));
    EXPECT_TRUE(has(f["operators"], "SCMP_CMP_MASKED_EQ"));
    EXPECT_TRUE(has(f["archs"], "SCMP_ARCH_X86_64"));
    EXPECT_FALSE(has(f["supportedFlags"], "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"));
}

}  // namespace
}  // namespace berth::runtime
