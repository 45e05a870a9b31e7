#include "registry_client.h"

#include <nlohmann/json.hpp>

#include "berth/error.h"
#include "registry_auth.h"
#include "registry_tls.h"

namespace berth::images {
namespace {

const char* kManifestAccept =
    "Accept: application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

}  // namespace

std::string describe_http_error(const HttpResponse& r, const std::string& fallback) {
    std::string message = fallback, code;
    try {
        auto j = nlohmann::json::parse(r.body);
        const auto& e = j.at("errors").at(0);
        code = e.value("code", "");
        message = e.value("message", fallback);
    } catch (const std::exception&) {
        // Not a registry error document (a proxy's HTML page...): status alone.
    }
    std::string s = message + " (" + std::to_string(r.status);
    if (!code.empty()) s += " " + code;
    return s + ")";
}

RegistryClient::RegistryClient(Reference ref, const PullOptions& options)
    : ref_(std::move(ref)),
      options_(options),
      http_(registry_tls(ref_.registry, options.certs_dir, options.insecure)) {}

std::string RegistryClient::auth_header() {
    std::lock_guard<std::mutex> lock(auth_mutex_);
    return auth_;
}

void RegistryClient::authenticate(HttpClient& http, const HttpResponse& unauthorized) {
    auto h = unauthorized.headers.find("www-authenticate");
    if (h == unauthorized.headers.end())
        throw Error("unauthorized (401) without a WWW-Authenticate challenge");
    AuthChallenge c = parse_challenge(h->second);
    std::string header;
    if (c.scheme == "basic") {
        if (options_.username.empty())
            throw Error("registry " + ref_.registry + " wants Basic credentials (401)");
        header = basic_header(options_.username, options_.password);
    } else if (c.scheme == "bearer") {
        header = fetch_bearer(http, c, "repository:" + ref_.repository + ":pull", options_.username,
                              options_.password);
    } else {
        throw Error("registry " + ref_.registry + ": unsupported auth scheme \"" + c.scheme + "\"");
    }
    std::lock_guard<std::mutex> lock(auth_mutex_);
    auth_ = header;
}

void RegistryClient::ping() {
    std::vector<std::string> bases = {"https://" + ref_.registry};
    if (options_.insecure) bases.push_back("http://" + ref_.registry);
    std::string errors;
    for (const std::string& base : bases) {
        HttpResponse r;
        try {
            r = http_.get(base + "/v2/", {}, 1 << 20);
        } catch (const TlsTrustError& e) {
            // A registry that speaks https but is not trusted: never fall back, say so.
            throw Error("registry " + ref_.registry + ": " + e.what());
        } catch (const Error& e) {
            errors += (errors.empty() ? "" : "; ") + std::string(e.what());
            continue;
        }
        base_ = base;
        if (r.status == 401) {
            authenticate(http_, r);
            r = http_.get(base + "/v2/", {auth_header()}, 1 << 20);
            // A token scoped to the repository may not open /v2/ itself: only a second Basic
            // refusal means the credentials are wrong.
            if (r.status == 401 && auth_header().rfind("Authorization: Basic", 0) == 0)
                throw Error("registry " + ref_.registry + ": credentials refused (401)");
            return;
        }
        if (r.status / 100 != 2)
            throw Error("registry " + base + "/v2/: " + describe_http_error(r, "ping failed"));
        return;
    }
    throw Error("registry " + ref_.registry + " unreachable: " + errors +
                (options_.insecure ? "" : " (use --insecure for a plain-http registry)"));
}

HttpResponse RegistryClient::get(HttpClient& http, const std::string& path,
                                 std::vector<std::string> headers, const HttpClient::Sink* sink) {
    std::string url = base_ + "/v2/" + ref_.repository + path;
    for (int attempt = 0;; ++attempt) {
        std::vector<std::string> all = headers;
        if (std::string a = auth_header(); !a.empty()) all.push_back(a);
        HttpResponse r = sink ? http.get_to(url, all, *sink) : http.get(url, all);
        // Tokens expire (60 s by default): one fresh challenge per request is allowed.
        if (r.status == 401 && attempt == 0) {
            authenticate(http, r);
            continue;
        }
        return r;
    }
}

FetchedManifest RegistryClient::manifest(const std::string& ref) {
    HttpResponse r = get(http_, "/manifests/" + ref, {kManifestAccept}, nullptr);
    if (r.status != 200) throw Error(describe_http_error(r, "manifest request failed"));
    FetchedManifest m;
    m.body = std::move(r.body);
    m.digest = Digest::of(m.body);
    m.media_type = r.headers["content-type"];
    if (size_t semi = m.media_type.find(';'); semi != std::string::npos) m.media_type.resize(semi);
    return m;
}

bool RegistryClient::blob(HttpClient& http, const Digest& digest, const HttpClient::Sink& sink) {
    bool refused = false;
    HttpClient::Sink guarded = [&](const char* data, size_t size) {
        if (sink(data, size)) return true;
        refused = true;
        return false;
    };
    HttpResponse r;
    try {
        r = get(http, "/blobs/" + digest.str(), {}, &guarded);
    } catch (const Error&) {
        if (refused) return false;
        throw;
    }
    if (r.status != 200)
        throw Error("blob " + digest.str() + ": " + describe_http_error(r, "blob request failed"));
    return true;
}

}  // namespace berth::images
