// Registry authentication: the WWW-Authenticate challenge of a 401, and the Bearer token
// flow (GET realm?service=&scope=, with Basic credentials if we have them).
#pragma once

#include <map>
#include <string>

namespace berth::images {

class HttpClient;

struct AuthChallenge {
    std::string scheme;                         // "bearer" or "basic" (lower case)
    std::map<std::string, std::string> params;  // realm, service, scope...
};

// `Bearer realm="https://auth/token",service="registry",scope="repository:x:pull"`.
AuthChallenge parse_challenge(const std::string& header);

std::string basic_header(const std::string& username, const std::string& password);

// Fetches a token for `scope` (empty: none asked, as a login check does) and returns the
// "Authorization: Bearer ..." header; errors name the realm and the HTTP status.
std::string fetch_bearer(HttpClient& http, const AuthChallenge& challenge, const std::string& scope,
                         const std::string& username, const std::string& password);

}  // namespace berth::images
