// A pull-style source of bytes (a layer blob from a file, from inside an archive, from a
// registry), so one libarchive reader can scan a layer wherever it lives without copying it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "berth/fd.h"

namespace berth::images {

class ByteStream {
  public:
    virtual ~ByteStream() = default;
    // The next chunk, valid until the next call; empty at the end. Throws Error on failure.
    virtual std::string_view next() = 0;
};

// Reads fd to its end; `what` names it in errors.
std::unique_ptr<ByteStream> fd_stream(UniqueFd fd, std::string what);

}  // namespace berth::images
