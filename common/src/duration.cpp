#include "berth/duration.h"

#include <cctype>

#include "berth/error.h"

namespace berth {

int64_t parse_duration_ns(const std::string& text, const std::string& what) {
    auto bad = [&]() -> Error {
        return Error("invalid " + what + " \"" + text +
                     "\": use a duration like 30s, 1m30s, 500ms");
    };
    if (text.empty()) throw bad();
    if (text == "0") return 0;
    long double total = 0;
    size_t i = 0;
    while (i < text.size()) {
        size_t start = i;
        while (i < text.size() &&
               (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
            ++i;
        if (i == start) throw bad();
        long double value = 0;
        try {
            value = std::stold(text.substr(start, i - start));
        } catch (const std::exception&) {
            throw bad();
        }
        size_t unit_start = i;
        while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
        std::string unit = text.substr(unit_start, i - unit_start);
        long double scale = unit == "ns"   ? 1
                            : unit == "us" ? 1e3
                            : unit == "ms" ? 1e6
                            : unit == "s"  ? 1e9
                            : unit == "m"  ? 60e9
                            : unit == "h"  ? 3600e9
                                           : -1;
        if (scale < 0) throw bad();
        total += value * scale;
    }
    if (total > 9.2e18) throw bad();
    return static_cast<int64_t>(total);
}

}  // namespace berth
