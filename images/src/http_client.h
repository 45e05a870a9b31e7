// One libcurl easy handle doing GETs for the registry client: a response into memory (capped)
// or streamed into a sink, with the status, the headers berth needs and curl's error text.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "berth/error.h"

namespace berth::images {

// How a client checks the servers it talks to.
struct TlsOptions {
    bool verify = true;  // false only for --insecure: any certificate (and plain http) accepted
    // Extra CAs (PEM) trusted on top of the system's, from the registry's certs.d directory.
    std::string extra_ca_pem;
    // Appended to a certificate error: how the user can make the registry trusted.
    std::string trust_hint;
};

// The server's certificate failed verification (unknown CA, wrong host name, expired...).
class TlsTrustError : public Error {
  public:
    using Error::Error;
};

struct HttpResponse {
    long status = 0;
    std::map<std::string, std::string> headers;  // lower-cased names, last value wins
    std::string body;                            // only for get(), capped
};

class HttpClient {
  public:
    explicit HttpClient(TlsOptions tls);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    const TlsOptions& tls() const;
    // Throws Error("<url>: <curl error>") when no HTTP response arrived at all (TlsTrustError
    // when the certificate was refused). A body larger
    // than max_body is an error too (a registry must not make us buffer gigabytes).
    HttpResponse get(const std::string& url, const std::vector<std::string>& headers,
                     size_t max_body = 4 << 20);
    // Streams a 2xx body into sink (returning false aborts); error bodies are kept in .body.
    using Sink = std::function<bool(const char* data, size_t size)>;
    HttpResponse get_to(const std::string& url, const std::vector<std::string>& headers,
                        const Sink& sink);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace berth::images
