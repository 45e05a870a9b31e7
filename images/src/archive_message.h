// libarchive's error string, which may be NULL (building a std::string from NULL would crash).
#pragma once

#include <archive.h>

#include <string>

namespace berth::images {

inline std::string archive_message(archive* a) {
    const char* s = archive_error_string(a);
    return s ? s : "unknown libarchive error";
}

}  // namespace berth::images
