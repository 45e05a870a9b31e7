// The seccomp profile `berth-runtime spec` puts into linux.seccomp: Docker's default.
#pragma once

#include <nlohmann/json.hpp>

namespace berth::runtime {

// moby's profiles/seccomp/default.json as Docker renders it for a container with Docker's 14
// default capabilities on this architecture, in the OCI linux.seccomp shape.
nlohmann::ordered_json default_seccomp_profile();

}  // namespace berth::runtime
