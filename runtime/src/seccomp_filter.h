// Turns a parsed linux.seccomp into a kernel seccomp filter with libseccomp.
#pragma once

#include <memory>

#include "berth/runtime/seccomp_spec.h"

namespace berth::runtime {

// A compiled filter, not yet installed. Built while the container is created, so a profile
// libseccomp refuses fails `create`; loaded by the init right before the user's program.
class SeccompFilter {
public:
    // Throws berth::Error naming the linux.seccomp field libseccomp refused.
    explicit SeccompFilter(const Seccomp& config);

    // Installs the filter on the calling process. Without no_new_privs the kernel requires
    // CAP_SYS_ADMIN for this. Throws berth::Error naming linux.seccomp.
    void load() const;

private:
    struct Release {
        void operator()(void* ctx) const noexcept;  // seccomp_release
    };
    std::unique_ptr<void, Release> ctx_;  // scmp_filter_ctx
};

// Builds and installs in one go.
void load_seccomp(const Seccomp& config);

}  // namespace berth::runtime
