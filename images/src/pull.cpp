#include "berth/images/pull.h"

#include <algorithm>

#include "berth/error.h"
#include "berth/file_io.h"
#include "berth/images/credentials.h"
#include "berth/images/load.h"
#include "berth/images/reference.h"
#include "blob_download.h"
#include "fs_util.h"
#include "manifest.h"
#include "registry_client.h"
#include "remote_manifest.h"

namespace berth::images {
namespace {

// Staging for the transfers, removed with everything in it whatever happens.
class StagingDir {
  public:
    explicit StagingDir(const Store& store) : path_(store.make_temp_dir("pull")) {}
    ~StagingDir() { remove_tree(path_); }
    StagingDir(const StagingDir&) = delete;
    StagingDir& operator=(const StagingDir&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

void add_unique(std::vector<std::string>& v, const std::string& s) {
    if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

PullResult pull_locked(Store& store, const Reference& ref, const PullOptions& options) {
    PullResult result;
    RegistryClient client(ref, options);
    client.ping();

    ResolvedManifest resolved = resolve_manifest(client, ref, options);
    result.resolved = resolved.resolved;
    const FetchedManifest& image = resolved.image;
    const Manifest& manifest = resolved.manifest;

    StagingDir staging(store);
    std::vector<BlobJob> config_job;
    if (store.has_blob(manifest.config.digest)) {
        ++result.blobs_skipped;
    } else {
        config_job.push_back({manifest.config.digest, manifest.config.size, "config", ""});
        DownloadStats st = download_blobs(client, config_job, staging.path(), options);
        result.blobs_downloaded += st.blobs;
        result.bytes_downloaded += st.bytes;
    }
    std::string config_text = config_job.empty() ? store.read_blob(manifest.config.digest)
                                                 : read_file(config_job[0].staged);
    ImageConfig config = parse_config(config_text, "config " + manifest.config.digest.str());
    if (config.diff_ids.size() != manifest.layers.size())
        throw Error("image " + manifest.config.digest.str() + ": manifest has " +
                    std::to_string(manifest.layers.size()) + " layers, config " +
                    std::to_string(config.diff_ids.size()) + " diff_ids");
    check_config_platform(config, resolved, options);

    std::vector<BlobJob> layer_jobs;
    for (const Descriptor& l : manifest.layers) {
        bool queued = std::any_of(layer_jobs.begin(), layer_jobs.end(),
                                  [&](const BlobJob& j) { return j.digest == l.digest; });
        if (store.has_blob(l.digest)) {
            ++result.blobs_skipped;
            if (options.progress)
                options.progress({PullProgress::Kind::exists, l.digest, "layer", 0,
                                  static_cast<uint64_t>(std::max<int64_t>(l.size, 0)), 0});
        } else if (!queued) {
            layer_jobs.push_back({l.digest, l.size, "layer", ""});
        }
    }
    DownloadStats st = download_blobs(client, layer_jobs, staging.path(), options);
    result.blobs_downloaded += st.blobs;
    result.bytes_downloaded += st.bytes;

    // Everything verified: only now do blobs get their names.
    ImageRecord record;
    record.id = manifest.config.digest;
    record.manifest = image.digest;
    if (!ref.tag.empty()) record.repo_tags.push_back(ref.name() + ":" + ref.tag);
    record.repo_digests.push_back(ref.name() + "@" + result.resolved.str());
    for (size_t i = 0; i < manifest.layers.size(); ++i) {
        LayerRecord layer;
        layer.blob = manifest.layers[i].digest;
        layer.media_type = manifest.layers[i].media_type;
        layer.blob_size = static_cast<uint64_t>(std::max<int64_t>(manifest.layers[i].size, 0));
        layer.diff_id = config.diff_ids[i];
        record.layers.push_back(layer);
    }
    if (auto existing = store.find(record.id.str()); existing && existing->id == record.id) {
        for (const std::string& t : existing->repo_tags) add_unique(record.repo_tags, t);
        for (const std::string& d : existing->repo_digests) add_unique(record.repo_digests, d);
    }
    try {
        for (BlobJob& j : config_job) store.adopt_blob(j.staged, j.digest);
        for (BlobJob& j : layer_jobs) store.adopt_blob(j.staged, j.digest);
        store.put_blob(image.body);
        result.layers_unpacked = ensure_layers(store, record.layers, options.unpack);
        store.save(record);
    } catch (...) {
        // Blobs adopted above belong to no record yet: collected, so nothing half stays.
        try {
            store.garbage_collect();
        } catch (const std::exception&) {
            // The original error matters more; the next gc removes them.
        }
        throw;
    }
    result.image = record;
    return result;
}

}  // namespace

void parse_platform(const std::string& text, PullOptions& options) {
    size_t a = text.find('/');
    if (a == std::string::npos || a == 0 || a + 1 == text.size())
        throw Error("platform \"" + text + "\": expected os/arch[/variant]");
    options.os = text.substr(0, a);
    std::string rest = text.substr(a + 1);
    size_t b = rest.find('/');
    options.architecture = rest.substr(0, b);
    options.variant = b == std::string::npos ? "" : rest.substr(b + 1);
    if (options.architecture.empty())
        throw Error("platform \"" + text + "\": expected os/arch[/variant]");
}

PullResult pull_image(Store& store, const std::string& ref_text, const PullOptions& options) {
    try {
        Reference ref = parse_reference(ref_text);
        // Exclusive for the whole pull: the staging dir lives under tmp/, which another
        // writer's lock would clean.
        Store::Lock lock(store, true);
        // Credentials saved by `berth login` for this registry, unless the caller gave some.
        PullOptions effective = options;
        if (effective.username.empty()) {
            if (auto saved = load_credentials(store.root(), ref.registry)) {
                effective.username = saved->username;
                effective.password = saved->password;
            }
        }
        return pull_locked(store, ref, effective);
    } catch (const Error& e) {
        throw Error("pull " + ref_text + ": " + e.what(), e.errno_value());
    }
}

}  // namespace berth::images
