#include "berth/images/login.h"

#include "berth/error.h"
#include "http_client.h"
#include "registry_auth.h"
#include "registry_client.h"
#include "registry_tls.h"

namespace berth::images {
namespace {

void verify_at(HttpClient& http, const std::string& base, const HttpResponse& first,
               const Credentials& credentials) {
    if (first.status / 100 == 2) return;  // an open registry: nothing to prove
    if (first.status != 401)
        throw Error(base + "/v2/: " + describe_http_error(first, "ping failed"));
    auto h = first.headers.find("www-authenticate");
    if (h == first.headers.end())
        throw Error("unauthorized (401) without a WWW-Authenticate challenge");
    AuthChallenge c = parse_challenge(h->second);
    std::string header;
    if (c.scheme == "basic") {
        header = basic_header(credentials.username, credentials.password);
    } else if (c.scheme == "bearer") {
        // A token server answering 401 is the refusal; fetch_bearer says so.
        header = fetch_bearer(http, c, "", credentials.username, credentials.password);
    } else {
        throw Error("unsupported auth scheme \"" + c.scheme + "\"");
    }
    HttpResponse r = http.get(base + "/v2/", {header}, 1 << 20);
    if (r.status == 401) throw Error("credentials refused (401)");
    if (r.status / 100 != 2)
        throw Error(base + "/v2/: " + describe_http_error(r, "login check failed"));
}

}  // namespace

void verify_login(const std::string& registry, const Credentials& credentials,
                  const LoginOptions& options) {
    try {
        if (registry.empty() || registry.find('/') != std::string::npos)
            throw Error("expected a registry host[:port]");
        if (credentials.username.empty()) throw Error("a username is required");
        HttpClient http(registry_tls(registry, options.certs_dir, options.insecure));
        std::vector<std::string> bases = {"https://" + registry};
        if (options.insecure) bases.push_back("http://" + registry);
        std::string errors;
        for (const std::string& base : bases) {
            HttpResponse r;
            try {
                r = http.get(base + "/v2/", {}, 1 << 20);
            } catch (const TlsTrustError&) {
                throw;
            } catch (const Error& e) {
                errors += (errors.empty() ? "" : "; ") + std::string(e.what());
                continue;
            }
            verify_at(http, base, r, credentials);
            return;
        }
        throw Error("unreachable: " + errors +
                    (options.insecure ? "" : " (use --insecure for a plain-http registry)"));
    } catch (const Error& e) {
        throw Error("login " + registry + ": " + e.what(), e.errno_value());
    }
}

}  // namespace berth::images
