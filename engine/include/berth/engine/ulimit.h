// `--ulimit NAME=SOFT[:HARD]` (docker's flag): a resource limit for the container's processes,
// kept in HostConfig.Ulimits and written to the bundle's process.rlimits.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace berth::engine {

struct Ulimit {
    std::string name;  // docker's: nofile, nproc, core, memlock, stack, ... (lower case)
    int64_t soft = 0;  // -1: unlimited
    int64_t hard = 0;
};

// "nofile=1024:2048", "core=-1", "nproc=512" (hard = soft). Throws berth::Error naming the
// flag's value: unknown name, not a number, soft above hard.
Ulimit parse_ulimit(const std::string& text);
// The OCI process.rlimits entry: {"type": "RLIMIT_NOFILE", "soft": ..., "hard": ...}.
nlohmann::json rlimit_json(const Ulimit& ulimit);

}  // namespace berth::engine
