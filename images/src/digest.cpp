#include "berth/images/digest.h"

#include <openssl/evp.h>

#include "berth/error.h"

namespace berth::images {

bool is_sha256_hex(std::string_view hex) {
    if (hex.size() != 64) return false;
    for (char c : hex)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

Digest Digest::parse(std::string_view text, std::string_view what) {
    if (text.substr(0, 7) != "sha256:" || !is_sha256_hex(text.substr(7)))
        throw Error(std::string(what) + ": \"" + std::string(text.substr(0, 80)) +
                    "\" is not a sha256 digest");
    Digest d;
    d.text_ = std::string(text);
    return d;
}

Digest Digest::from_hex(std::string_view hex) {
    return parse("sha256:" + std::string(hex));
}

Digest Digest::of(std::string_view data) {
    Sha256 h;
    h.update(data);
    return h.finish();
}

struct Sha256::Ctx {
    EVP_MD_CTX* md = nullptr;
    ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
    ctx_->md = EVP_MD_CTX_new();
    if (!ctx_->md || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1)
        throw Error("sha256: cannot initialise libcrypto digest");
}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, size_t size) {
    if (EVP_DigestUpdate(ctx_->md, data, size) != 1) throw Error("sha256: update failed");
}

Digest Sha256::finish() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_->md, out, &len) != 1 || len != 32)
        throw Error("sha256: final failed");
    static const char* const kHex = "0123456789abcdef";
    std::string hex;
    for (unsigned i = 0; i < len; ++i) {
        hex += kHex[out[i] >> 4];
        hex += kHex[out[i] & 15];
    }
    return Digest::from_hex(hex);
}

Digest chain_id(const Digest& parent_chain, const Digest& diff_id) {
    if (parent_chain.empty()) return diff_id;
    return Digest::of(parent_chain.str() + " " + diff_id.str());
}

}  // namespace berth::images
