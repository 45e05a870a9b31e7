// The part of a registry pull that `pull` and `analyze --remote` share: the reference's
// manifest (through an index or manifest list to the wanted platform), checked against the
// digest asked for and for what a pull needs (sized descriptors, layer media types).
#pragma once

#include "berth/images/pull.h"
#include "berth/images/reference.h"
#include "manifest.h"
#include "registry_client.h"

namespace berth::images {

struct ResolvedManifest {
    Digest resolved;        // what the reference pointed to (index or manifest)
    FetchedManifest image;  // the platform's image manifest
    bool from_index = false;
    Manifest manifest;
};

ResolvedManifest resolve_manifest(RegistryClient& client, const Reference& ref,
                                  const PullOptions& options);

// A manifest that came without an index is checked against its config's platform, as an
// index entry would be.
void check_config_platform(const ImageConfig& config, const ResolvedManifest& m,
                           const PullOptions& options);

}  // namespace berth::images
