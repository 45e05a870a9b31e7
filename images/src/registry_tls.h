// Per-registry TLS trust the way docker does it: <certs dir>/<host[:port]>/*.crt are CAs
// trusted for that registry, on top of the system's. The certs dir is --certs-dir, else
// $BERTH_CERTS_DIR, else /etc/berth/certs.d. Verification is only ever off for --insecure.
#pragma once

#include <string>

#include "http_client.h"

namespace berth::images {

std::string default_certs_dir();

// certs_dir empty = default_certs_dir(). A missing directory just means "system CAs only".
TlsOptions registry_tls(const std::string& registry, const std::string& certs_dir, bool insecure);

}  // namespace berth::images
