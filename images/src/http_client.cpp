#include "http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

#include "berth/error.h"

namespace berth::images {
namespace {

// curl_global_init is not thread-safe: done once, before any handle exists.
void global_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            throw Error("curl_global_init failed");
    });
}

struct Transfer {
    HttpResponse* response;
    const HttpClient::Sink* sink;
    size_t max_body;
    bool too_large = false;
    bool sink_refused = false;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::string line(data, size * count);
    // A status line starts a response (a redirect's, then the final one): its status decides
    // where the body goes before the first byte arrives, and its headers replace the earlier.
    if (line.rfind("HTTP/", 0) == 0) {
        t->response->headers.clear();
        size_t sp = line.find(' ');
        if (sp != std::string::npos) t->response->status = std::atol(line.c_str() + sp + 1);
    }
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        std::string value = line.substr(colon + 1);
        while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())))
            value.erase(0, 1);
        while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
            value.pop_back();
        t->response->headers[name] = value;
    }
    return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t n = size * count;
    if (t->sink && t->response->status / 100 == 2) {
        if (!(*t->sink)(data, n)) {
            t->sink_refused = true;
            return 0;
        }
        return n;
    }
    if (t->response->body.size() + n > t->max_body) {
        t->too_large = true;
        return 0;
    }
    t->response->body.append(data, n);
    return n;
}

}  // namespace

struct HttpClient::Impl {
    CURL* curl = nullptr;
    TlsOptions tls;
    // The system's CA bundle followed by the registry's extra CAs: curl takes one CA blob in
    // place of its default file, and docker's rule is "the system's and these".
    std::string ca_blob;
};

HttpClient::HttpClient(TlsOptions tls) : impl_(std::make_unique<Impl>()) {
    global_init();
    impl_->curl = curl_easy_init();
    if (!impl_->curl) throw Error("curl_easy_init failed");
    impl_->tls = std::move(tls);
    if (impl_->tls.verify && !impl_->tls.extra_ca_pem.empty()) {
        char* system_bundle = nullptr;
        curl_easy_getinfo(impl_->curl, CURLINFO_CAINFO, &system_bundle);
        if (system_bundle) {
            std::ifstream in(system_bundle);
            std::ostringstream all;
            all << in.rdbuf();
            impl_->ca_blob = all.str();
        }
        impl_->ca_blob += "\n" + impl_->tls.extra_ca_pem;
    }
}

const TlsOptions& HttpClient::tls() const {
    return impl_->tls;
}

HttpClient::~HttpClient() {
    curl_easy_cleanup(impl_->curl);
}

namespace {

HttpResponse perform(CURL* curl, const TlsOptions& tls, const std::string& ca_blob,
                     const std::string& url, const std::vector<std::string>& headers,
                     const HttpClient::Sink* sink, size_t max_body) {
    const bool verify_tls = tls.verify;
    HttpResponse response;
    Transfer t{&response, sink, max_body};
    curl_easy_reset(curl);
    curl_slist* list = nullptr;
    for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> owned(list, curl_slist_free_all);
    char error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    // Blobs are often redirected to storage; curl (>= 7.58) never carries our custom
    // Authorization header to another host.
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
    // A stalled transfer (under 1 byte/s for 60 s) is an error, not a hang.
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "berth/0.1");
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, verify_tls ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, verify_tls ? 2L : 0L);
    curl_blob blob{const_cast<char*>(ca_blob.data()), ca_blob.size(), CURL_BLOB_NOCOPY};
    if (!ca_blob.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    CURLcode rc = curl_easy_perform(curl);
    if (t.too_large)
        throw Error(url + ": response larger than " + std::to_string(max_body) + " bytes");
    if (t.sink_refused) throw Error(url + ": transfer aborted");
    if (rc == CURLE_PEER_FAILED_VERIFICATION)
        throw TlsTrustError(url + ": TLS certificate not trusted: " +
                            (error[0] ? std::string(error) : curl_easy_strerror(rc)) +
                            (tls.trust_hint.empty() ? "" : " (" + tls.trust_hint + ")"));
    if (rc != CURLE_OK)
        throw Error(url + ": " + (error[0] ? std::string(error) : curl_easy_strerror(rc)));
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
}

}  // namespace

HttpResponse HttpClient::get(const std::string& url, const std::vector<std::string>& headers,
                             size_t max_body) {
    return perform(impl_->curl, impl_->tls, impl_->ca_blob, url, headers, nullptr, max_body);
}

HttpResponse HttpClient::get_to(const std::string& url, const std::vector<std::string>& headers,
                                const Sink& sink) {
    return perform(impl_->curl, impl_->tls, impl_->ca_blob, url, headers, &sink, 64 << 10);
}

}  // namespace berth::images
