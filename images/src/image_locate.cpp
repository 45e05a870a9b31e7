#include "image_locate.h"

#include <algorithm>

#include "berth/error.h"
#include "berth/images/store.h"

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

bool platform_matches(const Descriptor& d, const LocateOptions& o) {
    if (d.os.empty() && d.architecture.empty()) return true;  // single-image layouts
    return d.os == o.os && d.architecture == o.architecture;
}

// Follows nested indexes down to the manifests for the wanted platform.
void collect_oci(LoadSource& src, const std::vector<Descriptor>& entries,
                 const LocateOptions& options, std::vector<std::string> tags,
                 std::vector<LocatedImage>& out, int depth) {
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
            collect_oci(src, parse_index(text, "index " + d.digest.str()), options, entry_tags, out,
                        depth + 1);
            continue;
        }
        if (!platform_matches(d, options)) continue;
        std::string text = read_verified(src, blob_name(d.digest), d.digest, "manifest");
        Manifest m = parse_manifest(text, "manifest " + d.digest.str());
        if (options.store) {
            src.put_blob(blob_name(d.digest), d.digest, *options.store);
            src.put_blob(blob_name(m.config.digest), m.config.digest, *options.store);
        }
        LocatedImage p{d.digest, text, m.config.digest, blob_name(m.config.digest),
                       m.layers, {},   entry_tags};
        for (const Descriptor& l : m.layers) p.layer_names.push_back(blob_name(l.digest));
        out.push_back(p);
    }
}

std::vector<LocatedImage> collect_docker(LoadSource& src, const LocateOptions& options) {
    nlohmann::json doc = parse_json(src.read("manifest.json"), "manifest.json");
    if (!doc.is_array()) throw Error("manifest.json: not an array");
    std::vector<LocatedImage> out;
    try {
        for (const auto& entry : doc) {
            LocatedImage p;
            p.config_name = entry.at("Config").get<std::string>();
            p.config = src.digest_of(p.config_name);
            // The config's file name is its digest ("<hex>.json" or blobs/sha256/<hex>).
            std::string base = p.config_name.substr(p.config_name.rfind('/') + 1);
            if (base.size() > 5 && base.substr(base.size() - 5) == ".json")
                base.resize(base.size() - 5);
            if (is_sha256_hex(base) && base != p.config.hex())
                throw Error("config " + p.config_name + ": digest mismatch: content is " +
                            p.config.str());
            if (options.store) src.put_blob(p.config_name, p.config, *options.store);
            if (entry.contains("RepoTags") && entry["RepoTags"].is_array())
                p.tags = entry["RepoTags"].get<std::vector<std::string>>();
            for (const auto& l : entry.at("Layers")) {
                std::string name = l.get<std::string>();
                Descriptor d;
                d.media_type = "application/vnd.docker.image.rootfs.diff.tar";
                if (options.hash_docker_layers) d.digest = src.digest_of(name);
                d.size = src.size_of(name);
                p.layer_descs.push_back(d);
                p.layer_names.push_back(name);
            }
            Descriptor config_desc;
            config_desc.media_type = "application/vnd.docker.container.image.v1+json";
            config_desc.digest = p.config;
            config_desc.size = src.size_of(p.config_name);
            if (options.hash_docker_layers) {
                p.manifest_text = synthesize_manifest(config_desc, p.layer_descs);
                p.manifest = options.store ? options.store->put_blob(p.manifest_text)
                                           : Digest::of(p.manifest_text);
            }
            out.push_back(p);
        }
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("manifest.json: ") + e.what());
    }
    return out;
}

}  // namespace

std::vector<LocatedImage> locate_images(LoadSource& src, const std::string& path,
                                        const LocateOptions& options) {
    std::vector<LocatedImage> pending;
    if (src.has("manifest.json")) {
        pending = collect_docker(src, options);
    } else if (src.has("index.json")) {
        if (!src.has("oci-layout")) throw Error(path + ": index.json without oci-layout");
        nlohmann::json layout = parse_json(src.read("oci-layout"), path + ": oci-layout");
        if (!layout.is_object() || layout.value("imageLayoutVersion", "") != "1.0.0")
            throw Error(path + ": unsupported imageLayoutVersion");
        collect_oci(src, parse_index(src.read("index.json"), path + ": index.json"), options, {},
                    pending, 0);
        if (pending.empty())
            throw Error(path + ": no image for " + options.os + "/" + options.architecture);
    } else {
        throw Error(path +
                    ": neither an OCI layout (index.json) nor a docker save archive "
                    "(manifest.json)");
    }
    // An index lists one image once per tag: merge them so every tag lands on one record.
    std::vector<LocatedImage> merged;
    for (LocatedImage& p : pending) {
        auto same = std::find_if(merged.begin(), merged.end(), [&](const LocatedImage& m) {
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
    return merged;
}

}  // namespace berth::images
