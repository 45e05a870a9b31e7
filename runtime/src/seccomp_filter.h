// Turns a parsed linux.seccomp into a kernel seccomp filter with libseccomp.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "berth/runtime/seccomp_spec.h"

namespace berth::runtime {

// A compiled filter (BPF), not yet installed. Built by the runtime before the container's
// processes exist, so a profile libseccomp refuses fails `create`; loaded by the init right
// before the user's program.
//
// Compiling Docker's profile for its three architectures costs ~20 ms of libseccomp work per
// container, more than the rest of `run`. The BPF only depends on the profile and the
// libseccomp version, so it is kept in cache_dir (root-only, under the runtime's state root)
// and reused when both match exactly.
class SeccompFilter {
  public:
    // Throws berth::Error naming the linux.seccomp field libseccomp refused. Empty cache_dir:
    // always compile.
    explicit SeccompFilter(const Seccomp& config, const std::string& cache_dir = "");

    // Installs the filter on the calling process. Without no_new_privs the kernel requires
    // CAP_SYS_ADMIN for this. Throws berth::Error naming linux.seccomp.
    void load() const;
    bool from_cache() const { return from_cache_; }

  private:
    void compile(const Seccomp& config);
    std::vector<sock_filter> program_;
    unsigned flags_ = 0;  // SECCOMP_FILTER_FLAG_*
    bool from_cache_ = false;
};

// Builds and installs in one go.
void load_seccomp(const Seccomp& config);

}  // namespace berth::runtime
