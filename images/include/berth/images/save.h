// `berth image save`: images out of the store as an OCI layout tar or a docker save archive,
// blobs copied byte for byte so a save -> rm -> load round trip gives the same image IDs.
#pragma once

#include <string>
#include <vector>

#include "berth/images/store.h"

namespace berth::images {

enum class SaveFormat { oci, docker };

// Writes to a temp file next to out_path, renamed over it when complete.
void save_images(Store& store, const std::vector<std::string>& refs, const std::string& out_path,
                 SaveFormat format);

}  // namespace berth::images
