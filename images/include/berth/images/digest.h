// Content digests ("sha256:<64 hex>") and the streaming SHA-256 behind them (OpenSSL libcrypto).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace berth::images {

// A validated "sha256:<64 lowercase hex>" digest. Only sha256 is accepted: it is what every
// registry and docker save uses, and refusing others keeps blob paths trivially safe.
class Digest {
  public:
    Digest() = default;
    // Throws Error naming `what` if text is not a well-formed sha256 digest.
    static Digest parse(std::string_view text, std::string_view what = "digest");
    static Digest from_hex(std::string_view hex);
    static Digest of(std::string_view data);

    const std::string& str() const { return text_; }
    std::string hex() const { return text_.empty() ? "" : text_.substr(7); }
    // "sha256:0123456789ab" for messages.
    std::string short_str() const { return text_.substr(0, 19); }
    bool empty() const { return text_.empty(); }
    friend bool operator==(const Digest&, const Digest&) = default;
    friend auto operator<=>(const Digest&, const Digest&) = default;

  private:
    std::string text_;
};

bool is_sha256_hex(std::string_view hex);

class Sha256 {
  public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(const void* data, size_t size);
    void update(std::string_view data) { update(data.data(), data.size()); }
    Digest finish();

  private:
    struct Ctx;
    std::unique_ptr<Ctx> ctx_;
};

// ChainID(L0) = DiffID(L0); ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(Ln)).
Digest chain_id(const Digest& parent_chain, const Digest& diff_id);

}  // namespace berth::images
