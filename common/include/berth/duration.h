// Go's duration syntax, as docker's flags and Dockerfile options take it.
#pragma once

#include <cstdint>
#include <string>

namespace berth {

// "30s", "1m30s", "500ms", "1.5h", "0" -> nanoseconds. Throws berth::Error naming `what` (the
// flag or option) when the text is not a duration.
int64_t parse_duration_ns(const std::string& text, const std::string& what);

}  // namespace berth
