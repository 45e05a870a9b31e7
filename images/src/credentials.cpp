#include "berth/images/credentials.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "berth/error.h"
#include "berth/file_io.h"
#include "file_lock.h"
#include "fs_util.h"

namespace berth::images {
namespace {

std::string base64_encode(const std::string& plain) {
    std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(plain.data()),
                            static_cast<int>(plain.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}

std::string base64_decode(const std::string& text, const std::string& what) {
    if (text.size() % 4 != 0) throw Error(what + ": invalid base64");
    std::string out(text.size() / 4 * 3 + 1, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()),
                            static_cast<int>(text.size()));
    if (n < 0) throw Error(what + ": invalid base64");
    // EVP_DecodeBlock counts the padding as zero bytes.
    size_t len = static_cast<size_t>(n);
    for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --len;
    out.resize(len);
    return out;
}

nlohmann::json read_auths(const std::string& path) {
    if (!path_exists(path)) return {{"auths", nlohmann::json::object()}};
    try {
        nlohmann::json j = nlohmann::json::parse(read_file(path));
        if (!j.is_object()) throw Error(path + ": not a JSON object");
        if (!j.contains("auths")) j["auths"] = nlohmann::json::object();
        if (!j["auths"].is_object()) throw Error(path + ": \"auths\" is not an object");
        return j;
    } catch (const nlohmann::json::exception& e) {
        throw Error(path + ": " + e.what());
    }
}

// The read-modify-write of auth.json under its own lock (not the store lock: a login must not
// wait for a long pull).
FileLock lock_auths(const std::string& root) {
    make_dirs(root, 0700);
    return FileLock(root + "/auth.lock", true);
}

}  // namespace

std::string credentials_path(const std::string& root) {
    return root + "/auth.json";
}

std::optional<Credentials> load_credentials(const std::string& root, const std::string& registry) {
    std::string path = credentials_path(root);
    nlohmann::json j = read_auths(path);
    auto it = j["auths"].find(registry);
    if (it == j["auths"].end() || !it->is_object()) return std::nullopt;
    std::string what = path + ": " + registry;
    std::string plain = base64_decode(it->value("auth", ""), what);
    size_t colon = plain.find(':');
    if (colon == std::string::npos) throw Error(what + ": auth is not base64(user:password)");
    return Credentials{plain.substr(0, colon), plain.substr(colon + 1)};
}

void save_credentials(const std::string& root, const std::string& registry,
                      const Credentials& credentials) {
    if (credentials.username.find(':') != std::string::npos)
        throw Error("username \"" + credentials.username + "\" contains ':'");
    FileLock lock = lock_auths(root);
    std::string path = credentials_path(root);
    nlohmann::json j = read_auths(path);
    j["auths"][registry] = {
        {"auth", base64_encode(credentials.username + ":" + credentials.password)}};
    write_file_atomic(path, j.dump(2) + "\n", 0600);
}

bool remove_credentials(const std::string& root, const std::string& registry) {
    FileLock lock = lock_auths(root);
    std::string path = credentials_path(root);
    nlohmann::json j = read_auths(path);
    if (j["auths"].erase(registry) == 0) return false;
    write_file_atomic(path, j.dump(2) + "\n", 0600);
    return true;
}

}  // namespace berth::images
