// Runs berth-netns (next to the running binary) for named networks: the static monitor cannot
// link libnftables, so the network work happens in that small dynamic helper.
#pragma once

#include <string>
#include <vector>

namespace berth::engine {

// Runs `berth-netns --root ROOT ARGS...`; returns its stdout, throws berth::Error carrying its
// stderr when it fails.
std::string run_netns_helper(const std::string& root, const std::vector<std::string>& args);

}  // namespace berth::engine
