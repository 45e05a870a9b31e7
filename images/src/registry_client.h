// The distribution API v2 calls a pull needs: /v2/ ping (choosing https or, with --insecure,
// http, and the auth the registry asks for), manifests by tag or digest, blobs streamed.
// Errors carry the HTTP status and the registry's error code: "manifest unknown (404
// MANIFEST_UNKNOWN)".
#pragma once

#include <mutex>
#include <string>

#include "berth/images/digest.h"
#include "berth/images/pull.h"
#include "berth/images/reference.h"
#include "http_client.h"

namespace berth::images {

struct FetchedManifest {
    std::string body;
    std::string media_type;  // Content-Type, else the document's own mediaType
    Digest digest;           // sha256 of body
};

class RegistryClient {
  public:
    RegistryClient(Reference ref, const PullOptions& options);

    void ping();
    // What every connection to this registry checks (blob threads make their own clients).
    const TlsOptions& tls() const { return http_.tls(); }
    FetchedManifest manifest(const std::string& ref);
    // Streams the blob into sink; callable from several threads, each with its own HttpClient.
    // Returns false if sink refused (the caller knows why).
    bool blob(HttpClient& http, const Digest& digest, const HttpClient::Sink& sink);

  private:
    HttpResponse get(HttpClient& http, const std::string& path, std::vector<std::string> headers,
                     const HttpClient::Sink* sink);
    void authenticate(HttpClient& http, const HttpResponse& unauthorized);
    std::string auth_header();

    Reference ref_;
    PullOptions options_;
    std::string base_;  // "https://host" or "http://host"
    HttpClient http_;   // the calling thread's: ping and manifests
    std::mutex auth_mutex_;
    std::string auth_;  // "Authorization: ..." or empty
};

// "manifest unknown (404 MANIFEST_UNKNOWN)" from a registry error reply.
std::string describe_http_error(const HttpResponse& r, const std::string& fallback);

}  // namespace berth::images
