// The content-addressed image store under one root directory:
//   blobs/sha256/<hex>     every blob, sha256 verified before it gets its name
//   images/<hex>.json      one record per image (hex of the config digest = image ID)
//   layers/<chainhex>/     each layer unpacked once by ChainID (an overlayfs lower dir)
//   tmp/                   staging; anything left here after a crash is removed
//   holds/<holder>.json    an image (and its layers) in use by a container
//   lock                   flock: shared for readers, exclusive for writers
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/images/digest.h"

namespace berth::images {

struct LayerRecord {
    Digest blob;             // the (possibly compressed) layer blob
    std::string media_type;  // as the manifest gave it
    uint64_t blob_size = 0;
    Digest diff_id;   // sha256 of the uncompressed tar
    Digest chain_id;  // names the unpacked directory
    uint64_t unpacked_size = 0;
};

struct ImageRecord {
    Digest id;        // = config digest
    Digest manifest;  // manifest blob digest
    std::vector<std::string> repo_tags;
    std::vector<std::string> repo_digests;
    std::vector<LayerRecord> layers;  // bottom first

    nlohmann::json to_json() const;
    static ImageRecord from_json(const nlohmann::json& j);
};

// "busybox" -> "busybox:latest"; a name with a tag or digest is returned unchanged.
std::string normalize_tag(std::string_view ref);

class Store {
  public:
    static constexpr const char* kDefaultRoot = "/var/lib/berth";
    explicit Store(std::string root);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    const std::string& root() const { return root_; }

    // Scoped store lock. Nested locks on the same Store are no-ops (flock would deadlock on a
    // second open of the lock file); an exclusive lock cannot be taken inside a shared one.
    class Lock {
      public:
        Lock(Store& store, bool exclusive);
        ~Lock();
        Lock(const Lock&) = delete;
        Lock& operator=(const Lock&) = delete;

      private:
        Store& store_;
    };

    // Blobs.
    std::string blob_path(const Digest& d) const;
    bool has_blob(const Digest& d) const;
    // Moves a staged file (under tmp/) whose content the caller already hashed to `d`.
    void adopt_blob(const std::string& staged_path, const Digest& d);
    // Copies fd's content into the store; throws naming `what` if it does not hash to `expected`.
    void put_blob_from_fd(int fd, const Digest& expected, const std::string& what);
    Digest put_blob(std::string_view data);
    // Reads a blob (at most max_size bytes) and re-verifies its digest.
    std::string read_blob(const Digest& d, size_t max_size = 16 << 20) const;

    // Layers.
    std::string layer_path(const Digest& chain_id) const;
    bool has_layer(const Digest& chain_id) const;
    std::string layers_dir() const { return root_ + "/layers"; }
    // A fresh private directory under tmp/ (removed by the caller or the next cleanup).
    std::string make_temp_dir(const std::string& stem) const;

    // Image records.
    std::vector<ImageRecord> images() const;
    std::optional<ImageRecord> find(std::string_view ref) const;
    ImageRecord resolve(std::string_view ref) const;  // throws if unknown or ambiguous
    // Writes the record; its tags are taken away from any other image (a tag names one image).
    void save(const ImageRecord& record);
    void tag(std::string_view source_ref, std::string_view new_tag);
    // Docker's semantics: a tag of an image with several tags is only untagged; otherwise the
    // record is removed (refused for an ID with several tags unless force) and unused blobs and
    // layers are deleted. Returns "Untagged: x" / "Deleted: id" lines.
    std::vector<std::string> remove(std::string_view ref, bool force = false);
    // Deletes blobs and layer dirs no image record refers to.
    struct Collected {
        int blobs = 0, layers = 0;
        uint64_t blob_bytes = 0;  // layer dirs are not measured (a tree walk per layer)
    };
    Collected garbage_collect();
    // `image prune`: removes dangling images (no tag; an image pulled only by digest is one,
    // as in docker) and then every blob and layer no remaining image uses.
    struct Pruned {
        std::vector<Digest> images;
        Collected collected;
    };
    Pruned prune();

    // Containers hold the image they were created from. A held image is not removed without
    // force ("image is being used by container <id>"), prune keeps it, and its layers and
    // blobs survive garbage collection even after a forced removal, so a container's
    // overlay lower dirs never disappear under it. `holder` is a container ID.
    struct Hold {
        std::string holder;
        Digest image;
        std::vector<Digest> layers;  // chain IDs
        std::vector<Digest> blobs;   // config and layer blobs
    };
    void add_hold(const std::string& holder, const ImageRecord& image);
    // Releasing a hold the store does not have is not an error (rm after a crash).
    void release_hold(const std::string& holder);
    std::vector<Hold> holds() const;

  private:
    void clean_stale_temp();
    std::string record_path(const Digest& id) const;

    std::string root_;
    struct LockState;
    std::unique_ptr<LockState> lock_;
};

}  // namespace berth::images
