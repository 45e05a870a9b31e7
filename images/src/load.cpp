#include "berth/images/load.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "berth/error.h"
#include "berth/fd.h"
#include "berth/file_io.h"
#include "fs_util.h"
#include "load_source.h"
#include "manifest.h"

namespace berth::images {
namespace {

// A small document from the archive, accepted only if it hashes to `expected`.
std::string read_verified(LoadSource& src, const std::string& name, const Digest& expected,
                          const std::string& what) {
    std::string data = src.read(name);
    Digest got = Digest::of(data);
    if (got != expected)
        throw Error(what + " " + expected.str() + " (" + name + "): digest mismatch: content is " +
                    got.str());
    return data;
}

std::string blob_name(const Digest& d) {
    return "blobs/sha256/" + d.hex();
}

struct Pending {
    Digest manifest;
    Digest config;
    std::vector<Descriptor> layer_descs;
    std::vector<std::string> layer_names;  // archive names of the layer files
    std::vector<std::string> tags;
};

ImageRecord import_image(Store& store, LoadSource& src, const Pending& p,
                         const LoadOptions& options, LoadResult& result) {
    std::string config_text = store.read_blob(p.config);
    ImageConfig config = parse_config(config_text, "config " + p.config.str());
    if (config.diff_ids.size() != p.layer_descs.size())
        throw Error("image " + p.config.str() + ": manifest has " +
                    std::to_string(p.layer_descs.size()) + " layers, config " +
                    std::to_string(config.diff_ids.size()) + " diff_ids");
    ImageRecord record;
    record.id = p.config;
    record.manifest = p.manifest;
    for (const std::string& t : p.tags) record.repo_tags.push_back(normalize_tag(t));
    for (size_t i = 0; i < p.layer_descs.size(); ++i) {
        const Descriptor& d = p.layer_descs[i];
        src.put_blob(p.layer_names[i], d.digest, store);
        LayerRecord layer;
        layer.blob = d.digest;
        layer.media_type = d.media_type;
        layer.blob_size = static_cast<uint64_t>(src.size_of(p.layer_names[i]));
        layer.diff_id = config.diff_ids[i];
        record.layers.push_back(layer);
    }
    int unpacked = ensure_layers(store, record.layers, options.unpack);
    result.layers_unpacked += unpacked;
    result.layers_reused += static_cast<int>(record.layers.size()) - unpacked;
    store.save(record);
    return record;
}

bool platform_matches(const Descriptor& d, const LoadOptions& o) {
    if (d.os.empty() && d.architecture.empty()) return true;  // single-image layouts
    return d.os == o.os && d.architecture == o.architecture;
}

// Follows nested indexes down to the manifests for the wanted platform.
void collect_oci(Store& store, LoadSource& src, const std::vector<Descriptor>& entries,
                 const LoadOptions& options, std::vector<std::string> tags,
                 std::vector<Pending>& out, int depth) {
    if (depth > 4) throw Error("OCI index nesting deeper than 4");
    for (const Descriptor& d : entries) {
        std::vector<std::string> entry_tags = tags;
        auto name = d.annotations.find("io.containerd.image.name");
        if (name == d.annotations.end())
            name = d.annotations.find("org.opencontainers.image.ref.name");
        // A bare tag ("1") names no repository: only full references become RepoTags.
        if (name != d.annotations.end() && name->second.find_first_of(":/") != std::string::npos)
            entry_tags.push_back(name->second);
        if (is_index_media_type(d.media_type)) {
            std::string text = read_verified(src, blob_name(d.digest), d.digest, "index");
            collect_oci(store, src, parse_index(text, "index " + d.digest.str()), options,
                        entry_tags, out, depth + 1);
            continue;
        }
        if (!platform_matches(d, options)) continue;
        std::string text = read_verified(src, blob_name(d.digest), d.digest, "manifest");
        Manifest m = parse_manifest(text, "manifest " + d.digest.str());
        src.put_blob(blob_name(d.digest), d.digest, store);
        src.put_blob(blob_name(m.config.digest), m.config.digest, store);
        Pending p{d.digest, m.config.digest, m.layers, {}, entry_tags};
        for (const Descriptor& l : m.layers) p.layer_names.push_back(blob_name(l.digest));
        out.push_back(p);
    }
}

std::vector<Pending> collect_docker(Store& store, LoadSource& src) {
    nlohmann::json doc = parse_json(src.read("manifest.json"), "manifest.json");
    if (!doc.is_array()) throw Error("manifest.json: not an array");
    std::vector<Pending> out;
    try {
        for (const auto& entry : doc) {
            Pending p;
            std::string config_name = entry.at("Config").get<std::string>();
            p.config = src.digest_of(config_name);
            // The config's file name is its digest ("<hex>.json" or blobs/sha256/<hex>).
            std::string base = config_name.substr(config_name.rfind('/') + 1);
            if (base.size() > 5 && base.substr(base.size() - 5) == ".json")
                base.resize(base.size() - 5);
            if (is_sha256_hex(base) && base != p.config.hex())
                throw Error("config " + config_name + ": digest mismatch: content is " +
                            p.config.str());
            src.put_blob(config_name, p.config, store);
            if (entry.contains("RepoTags") && entry["RepoTags"].is_array())
                p.tags = entry["RepoTags"].get<std::vector<std::string>>();
            for (const auto& l : entry.at("Layers")) {
                std::string name = l.get<std::string>();
                Descriptor d;
                d.media_type = "application/vnd.docker.image.rootfs.diff.tar";
                d.digest = src.digest_of(name);
                d.size = src.size_of(name);
                p.layer_descs.push_back(d);
                p.layer_names.push_back(name);
            }
            Descriptor config_desc;
            config_desc.media_type = "application/vnd.docker.container.image.v1+json";
            config_desc.digest = p.config;
            config_desc.size = src.size_of(config_name);
            p.manifest = store.put_blob(synthesize_manifest(config_desc, p.layer_descs));
            out.push_back(p);
        }
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("manifest.json: ") + e.what());
    }
    return out;
}

}  // namespace

int ensure_layers(Store& store, std::vector<LayerRecord>& layers, const UnpackOptions& options) {
    int unpacked = 0;
    Digest chain;
    for (LayerRecord& layer : layers) {
        chain = chain_id(chain, layer.diff_id);
        layer.chain_id = chain;
        std::string meta_path = store.layer_path(chain) + ".json";
        if (store.has_layer(chain) && path_exists(meta_path)) {
            layer.unpacked_size =
                nlohmann::json::parse(read_file(meta_path)).value("unpackedSize", uint64_t{0});
            continue;
        }
        std::string what = "layer " + layer.blob.short_str();
        std::string tmp = store.layers_dir() + "/.tmp-" + chain.hex() + "-XXXXXX";
        if (!::mkdtemp(tmp.data())) throw_errno(what + ": mkdtemp");
        try {
            ::chmod(tmp.c_str(), 0755);  // the root of a rootfs; a "./" entry may change it
            UniqueFd dest(::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            UniqueFd blob(::open(store.blob_path(layer.blob).c_str(), O_RDONLY | O_CLOEXEC));
            if (!dest || !blob) throw_errno(what + ": open");
            UnpackResult r = unpack_layer(blob.get(), dest.get(), what, options);
            if (r.diff_id != layer.diff_id)
                throw Error(what + ": DiffID mismatch: config says " + layer.diff_id.str() +
                            ", uncompressed content is " + r.diff_id.str());
            layer.unpacked_size = r.file_bytes;
            write_file_atomic(meta_path, nlohmann::json{{"diffID", layer.diff_id.str()},
                                                        {"unpackedSize", r.file_bytes}}
                                             .dump());
            // Only a complete layer ever carries its ChainID name.
            std::string final_path = store.layer_path(chain);
            remove_tree(final_path);  // a dir without its .json is a leftover
            if (::rename(tmp.c_str(), final_path.c_str()) != 0)
                throw_errno(what + ": rename into " + final_path);
        } catch (...) {
            remove_tree(tmp);
            throw;
        }
        ++unpacked;
    }
    return unpacked;
}

LoadResult load_images(Store& store, const std::string& path, const LoadOptions& options) {
    Store::Lock lock(store, true);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) throw_errno("load " + path);
    std::unique_ptr<LoadSource> src = S_ISDIR(st.st_mode)
                                          ? open_dir_source(path)
                                          : open_tar_source(path, store, options.unpack.max_bytes);
    std::vector<Pending> pending;
    if (src->has("manifest.json")) {
        pending = collect_docker(store, *src);
    } else if (src->has("index.json")) {
        if (!src->has("oci-layout")) throw Error(path + ": index.json without oci-layout");
        nlohmann::json layout = parse_json(src->read("oci-layout"), path + ": oci-layout");
        if (layout.value("imageLayoutVersion", "") != "1.0.0")
            throw Error(path + ": unsupported imageLayoutVersion");
        collect_oci(store, *src, parse_index(src->read("index.json"), path + ": index.json"),
                    options, {}, pending, 0);
        if (pending.empty())
            throw Error(path + ": no image for " + options.os + "/" + options.architecture);
    } else {
        throw Error(path +
                    ": neither an OCI layout (index.json) nor a docker save archive "
                    "(manifest.json)");
    }
    // An index lists one image once per tag: merge them so every tag lands on one record.
    std::vector<Pending> merged;
    for (Pending& p : pending) {
        auto same = std::find_if(merged.begin(), merged.end(), [&](const Pending& m) {
            return m.config == p.config && m.manifest == p.manifest;
        });
        if (same == merged.end()) {
            merged.push_back(std::move(p));
            continue;
        }
        for (const std::string& t : p.tags)
            if (std::find(same->tags.begin(), same->tags.end(), t) == same->tags.end())
                same->tags.push_back(t);
    }
    pending = std::move(merged);
    LoadResult result;
    for (const Pending& p : pending)
        result.images.push_back(import_image(store, *src, p, options, result));
    return result;
}

}  // namespace berth::images
