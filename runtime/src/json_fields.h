// Shared by the config.json parsers: errors that name the field, and member lookup where
// JSON null counts as absent (as the runtime spec treats it).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "berth/error.h"

namespace berth::runtime {

[[noreturn]] inline void field_error(const std::string& field, const std::string& problem) {
    throw Error("config.json: " + field + ": " + problem);
}

inline const nlohmann::json* member(const nlohmann::json& object, const char* key) {
    auto it = object.find(key);
    return it == object.end() || it->is_null() ? nullptr : &*it;
}

}  // namespace berth::runtime
