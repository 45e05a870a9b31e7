// registry_token_server: the token service of docker's token auth, for the tests only.
//
// Serves GET /token?service=S&scope=repository:NAME:ACTIONS... over HTTPS on 127.0.0.1 (port
// chosen by the kernel, written to --port-file). A request must carry Basic credentials equal
// to --user/--password (401 otherwise); the answer is {"token", "access_token", "expires_in",
// "issued_at"} with a real RS256 JWT as docker-registry 2.8 verifies it: header
// {"alg":"RS256","typ":"JWT","x5c":[<the signing cert, base64 DER>]} (the cert must chain to
// the registry's auth.token.rootcertbundle), claims iss, sub, aud (= service), exp, nbf, iat,
// jti and access [{type, name, actions}] granting what was asked. Each request is logged as
// one line to --log: "GET /token user=U service=S scope=X status=N".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Config {
    std::string port_file, tls_cert, tls_key, sign_key, sign_cert, issuer, service, user, password,
        log;
};

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "registry_token_server: %s\n", what.c_str());
    std::exit(1);
}

std::string base64(const unsigned char* data, size_t size) {
    std::string out(4 * ((size + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, int(size));
    out.resize(size_t(n));
    return out;
}

std::string base64url(const std::string& data) {
    std::string s = base64(reinterpret_cast<const unsigned char*>(data.data()), data.size());
    for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
    while (!s.empty() && s.back() == '=') s.pop_back();
    return s;
}

std::string unbase64(const std::string& text) {
    if (text.empty() || text.size() % 4 != 0) return "";
    std::string out(text.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()), int(text.size()));
    if (n < 0) return "";
    size_t pad = text.back() == '=' ? (text[text.size() - 2] == '=' ? 2 : 1) : 0;
    out.resize(size_t(n) - pad);  // EVP_DecodeBlock counts the padding as zero bytes
    return out;
}

std::string url_decode(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            out += char(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += s[i] == '+' ? ' ' : s[i];
        }
    }
    return out;
}

class Signer {
  public:
    explicit Signer(const Config& c) {
        FILE* f = std::fopen(c.sign_key.c_str(), "r");
        if (!f) die("open " + c.sign_key);
        key_ = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
        std::fclose(f);
        f = std::fopen(c.sign_cert.c_str(), "r");
        if (!f) die("open " + c.sign_cert);
        X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
        std::fclose(f);
        if (!key_ || !cert) die("cannot read the signing key or certificate");
        unsigned char* der = nullptr;
        int n = i2d_X509(cert, &der);
        x5c_ = base64(der, size_t(n));
        OPENSSL_free(der);
        X509_free(cert);
    }
    ~Signer() { EVP_PKEY_free(key_); }

    std::string jwt(const nlohmann::json& claims) const {
        nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}, {"x5c", {x5c_}}};
        std::string input = base64url(header.dump()) + "." + base64url(claims.dump());
        std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                    EVP_MD_CTX_free);
        size_t size = 0;
        if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_) != 1 ||
            EVP_DigestSign(ctx.get(), nullptr, &size,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
            throw std::runtime_error("sign failed");
        std::string sig(size, '\0');
        if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &size,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
            throw std::runtime_error("sign failed");
        sig.resize(size);
        return input + "." + base64url(sig);
    }

  private:
    EVP_PKEY* key_ = nullptr;
    std::string x5c_;
};

std::string rfc3339(time_t t) {
    char buf[32];
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

struct Reply {
    int status;
    std::string body;
    std::string extra_headers;
};

Reply answer(const Config& c, const Signer& signer, const std::string& request,
             std::string& log_line) {
    std::istringstream in(request);
    std::string method, target, line;
    in >> method >> target;
    std::string authorization;
    std::getline(in, line);
    while (std::getline(in, line) && line != "\r") {
        size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        for (char& ch : name) ch = char(std::tolower(static_cast<unsigned char>(ch)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
        while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
        if (name == "authorization") authorization = value;
    }
    std::string path = target.substr(0, target.find('?'));
    std::string query =
        target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1);
    std::string service;
    std::vector<std::string> scopes;
    std::stringstream qs(query);
    std::string pair;
    while (std::getline(qs, pair, '&')) {
        size_t eq = pair.find('=');
        std::string k = pair.substr(0, eq),
                    v = eq == std::string::npos ? "" : url_decode(pair.substr(eq + 1));
        if (k == "service") service = v;
        if (k == "scope") scopes.push_back(v);
    }
    std::string user;
    bool authenticated = false;
    if (authorization.rfind("Basic ", 0) == 0) {
        std::string plain = unbase64(authorization.substr(6));
        size_t colon = plain.find(':');
        user = plain.substr(0, colon);
        authenticated =
            colon != std::string::npos && user == c.user && plain.substr(colon + 1) == c.password;
    }
    std::string scope_text;
    for (const std::string& s : scopes) scope_text += (scope_text.empty() ? "" : ",") + s;
    auto reply = [&](Reply r) {
        log_line = method + " " + path + " user=" + (user.empty() ? "-" : user) +
                   " service=" + service + " scope=" + (scope_text.empty() ? "-" : scope_text) +
                   " status=" + std::to_string(r.status);
        return r;
    };
    auto error = [](const std::string& code, const std::string& message) {
        return nlohmann::json{{"errors", {{{"code", code}, {"message", message}}}}}.dump();
    };
    if (method != "GET" || path != "/token")
        return reply({404, error("NOT_FOUND", "no such page"), ""});
    if (!authenticated)
        return reply({401, error("UNAUTHORIZED", "authentication required"),
                      "WWW-Authenticate: Basic realm=\"berth-token\"\r\n"});
    if (service != c.service) return reply({400, error("INVALID", "unknown service"), ""});

    nlohmann::json access = nlohmann::json::array();
    for (const std::string& s : scopes) {  // repository:NAME:ACTIONS (NAME has no ':' here)
        size_t first = s.find(':'), last = s.rfind(':');
        if (first == std::string::npos || first == last) continue;
        nlohmann::json actions = nlohmann::json::array();
        std::stringstream as(s.substr(last + 1));
        std::string a;
        while (std::getline(as, a, ',')) actions.push_back(a);
        access.push_back({{"type", s.substr(0, first)},
                          {"name", s.substr(first + 1, last - first - 1)},
                          {"actions", actions}});
    }
    unsigned char id[16];
    RAND_bytes(id, sizeof id);
    std::string jti;
    for (unsigned char b : id) {
        char hex[3];
        std::snprintf(hex, sizeof hex, "%02x", b);
        jti += hex;
    }
    time_t now = std::time(nullptr);
    nlohmann::json claims = {{"iss", c.issuer},  {"sub", user},     {"aud", c.service},
                             {"exp", now + 300}, {"nbf", now - 10}, {"iat", now},
                             {"jti", jti},       {"access", access}};
    std::string token = signer.jwt(claims);
    nlohmann::json body = {{"token", token},
                           {"access_token", token},
                           {"expires_in", 300},
                           {"issued_at", rfc3339(now)}};
    return reply({200, body.dump(), ""});
}

const char* reason(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        default:
            return "Not Found";
    }
}

std::mutex log_mutex;

void serve(int fd, SSL_CTX* tls, const Config& c, const Signer& signer) {
    timeval timeout{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    SSL* ssl = SSL_new(tls);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
        std::string request;
        char buf[4096];
        while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
            int n = SSL_read(ssl, buf, sizeof buf);
            if (n <= 0) break;
            request.append(buf, size_t(n));
        }
        if (request.find("\r\n\r\n") != std::string::npos) {
            std::string log_line;
            Reply r = answer(c, signer, request, log_line);
            std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) +
                              "\r\nContent-Type: application/json\r\nContent-Length: " +
                              std::to_string(r.body.size()) + "\r\nConnection: close\r\n" +
                              r.extra_headers + "\r\n" + r.body;
            SSL_write(ssl, out.data(), int(out.size()));
            std::lock_guard<std::mutex> lock(log_mutex);
            std::ofstream(c.log, std::ios::app) << log_line << "\n";
        }
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    close(fd);
}

}  // namespace

int main(int argc, char** argv) {
    Config c;
    std::map<std::string, std::string*> flags = {
        {"--port-file", &c.port_file}, {"--tls-cert", &c.tls_cert},
        {"--tls-key", &c.tls_key},     {"--sign-key", &c.sign_key},
        {"--sign-cert", &c.sign_cert}, {"--issuer", &c.issuer},
        {"--service", &c.service},     {"--user", &c.user},
        {"--password", &c.password},   {"--log", &c.log}};
    for (int i = 1; i + 1 < argc; i += 2) {
        auto it = flags.find(argv[i]);
        if (it == flags.end()) die(std::string("unknown flag ") + argv[i]);
        *it->second = argv[i + 1];
    }
    for (const auto& [name, value] : flags)
        if (value->empty()) die("missing " + name);
    Signer signer(c);
    SSL_CTX* tls = SSL_CTX_new(TLS_server_method());
    if (!tls || SSL_CTX_use_certificate_chain_file(tls, c.tls_cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(tls, c.tls_key.c_str(), SSL_FILETYPE_PEM) != 1)
        die("cannot load the TLS certificate or key");

    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(s, 64) != 0 || getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        die(std::string("listen: ") + std::strerror(errno));
    {
        std::string tmp = c.port_file + ".tmp";
        std::ofstream(tmp) << ntohs(addr.sin_port) << "\n";
        if (rename(tmp.c_str(), c.port_file.c_str()) != 0) die("write " + c.port_file);
    }
    for (;;) {
        int fd = accept4(s, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        std::thread(serve, fd, tls, std::cref(c), std::cref(signer)).detach();
    }
}
