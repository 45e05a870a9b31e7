// A registry image reference: "registry[:port]/repo/name[:tag][@sha256:...]".
#pragma once

#include <string>
#include <string_view>

#include "berth/images/digest.h"

namespace berth::images {

struct Reference {
    std::string registry;    // "127.0.0.1:5000"
    std::string repository;  // "berth/busybox"
    std::string tag;         // "latest" unless given; empty when only a digest was given
    Digest digest;           // set for name@sha256:...

    // What the registry resolves: the digest if any, else the tag.
    std::string manifest_ref() const { return digest.empty() ? tag : digest.str(); }
    std::string name() const { return registry + "/" + repository; }
    std::string str() const;
};

// berth has no default registry (docker.io is out of reach for it): a reference whose first
// component is not a host ("x.y", "host:port" or "localhost") is refused. Names and tags are
// checked against the distribution grammar so nothing odd ever reaches a URL.
Reference parse_reference(std::string_view text);

}  // namespace berth::images
