// `berth image inspect` and `image ls` views of a stored image, in Docker's field names.
#pragma once

#include <nlohmann/json.hpp>

#include "berth/images/store.h"

namespace berth::images {

// Id, RepoTags, RepoDigests, Created, Architecture, Os, Config, RootFS{Type,Layers}, Size,
// plus Layers (the blob digests) and Manifest.
nlohmann::json inspect_image(const Store& store, const ImageRecord& image);

}  // namespace berth::images
