// `berth image analyze --ci`: dive's CI rules over an analysis. Each rule passes, fails or is
// disabled; thresholds come from flags or a `.berth-ci` YAML file with dive's keys:
//   rules:
//     lowestEfficiency: 0.9            # fail if efficiency < this
//     highestWastedBytes: 20MB         # fail if wasted bytes > this (disabled by default)
//     highestUserWastedPercent: 0.1    # fail if wasted / user size > this (a ratio; "10%" too)
// Any value may be "disabled".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "berth/images/analyze.h"

namespace berth::images {

struct CiRules {
    std::optional<double> lowest_efficiency = 0.9;
    std::optional<uint64_t> highest_wasted_bytes;
    std::optional<double> highest_user_wasted_percent = 0.1;
};

// key is one of the three names above; an Error naming `what` for anything else or a value
// that does not parse ("20MB", "20 MiB", "1000", "0.1", "10%", "disabled").
void set_ci_rule(CiRules& rules, const std::string& key, const std::string& value,
                 const std::string& what);
// Applies a .berth-ci file (keys under "rules:", or at the top level) over `rules`.
void load_ci_file(CiRules& rules, const std::string& path);

struct CiOutcome {
    std::string rule;
    bool enabled = true, pass = true;
    std::string detail;  // "0.2501 < 0.9"
};

std::vector<CiOutcome> evaluate_ci(const ImageAnalysis& analysis, const CiRules& rules);

}  // namespace berth::images
