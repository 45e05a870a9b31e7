#include "registry_auth.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "berth/error.h"
#include "http_client.h"

namespace berth::images {
namespace {

std::string url_escape(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

}  // namespace

AuthChallenge parse_challenge(const std::string& header) {
    AuthChallenge c;
    size_t i = header.find(' ');
    c.scheme = header.substr(0, i);
    std::transform(c.scheme.begin(), c.scheme.end(), c.scheme.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    while (i != std::string::npos && i < header.size()) {
        while (i < header.size() && (header[i] == ' ' || header[i] == ',')) ++i;
        size_t eq = header.find('=', i);
        if (eq == std::string::npos) break;
        std::string key = header.substr(i, eq - i);
        std::transform(key.begin(), key.end(), key.begin(),
                       [](unsigned char ch) { return std::tolower(ch); });
        std::string value;
        i = eq + 1;
        if (i < header.size() && header[i] == '"') {
            for (++i; i < header.size() && header[i] != '"'; ++i) {
                if (header[i] == '\\' && i + 1 < header.size()) ++i;
                value += header[i];
            }
            ++i;  // closing quote
        } else {
            size_t end = header.find(',', i);
            value = header.substr(i, end == std::string::npos ? std::string::npos : end - i);
            i = end;
        }
        c.params[key] = value;
    }
    return c;
}

std::string basic_header(const std::string& username, const std::string& password) {
    std::string plain = username + ":" + password;
    std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(plain.data()),
                            static_cast<int>(plain.size()));
    out.resize(static_cast<size_t>(n));
    return "Authorization: Basic " + out;
}

std::string fetch_bearer(HttpClient& http, const AuthChallenge& challenge, const std::string& scope,
                         const std::string& username, const std::string& password) {
    auto realm = challenge.params.find("realm");
    if (realm == challenge.params.end() || realm->second.empty())
        throw Error("Bearer challenge without a realm");
    std::string url = realm->second;
    if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
        throw Error("token realm " + url + ": not an http(s) URL");
    // A password goes to the realm: not in clear text unless the user allowed plain http.
    if (url.rfind("http://", 0) == 0 && !username.empty() && http.tls().verify)
        throw Error("token realm " + url +
                    ": refusing to send credentials over plain http (--insecure allows it)");
    char sep = url.find('?') == std::string::npos ? '?' : '&';
    if (auto s = challenge.params.find("service"); s != challenge.params.end()) {
        url += sep + std::string("service=") + url_escape(s->second);
        sep = '&';
    }
    // Login asks for a token without a scope: it only proves the credentials.
    if (!scope.empty()) url += sep + std::string("scope=") + url_escape(scope);
    std::vector<std::string> headers;
    if (!username.empty()) headers.push_back(basic_header(username, password));
    HttpResponse r = http.get(url, headers, 1 << 20);
    if (r.status != 200)
        throw Error("token from " + realm->second + ": HTTP " + std::to_string(r.status) +
                    (r.status == 401 ? " (wrong or missing credentials)" : ""));
    try {
        auto j = nlohmann::json::parse(r.body);
        std::string token = j.value("token", "");
        if (token.empty()) token = j.value("access_token", "");
        if (token.empty()) throw Error("token from " + realm->second + ": no token in reply");
        return "Authorization: Bearer " + token;
    } catch (const nlohmann::json::exception& e) {
        throw Error("token from " + realm->second + ": invalid JSON: " + e.what());
    }
}

}  // namespace berth::images
