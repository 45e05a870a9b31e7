#include "remote_manifest.h"

#include "berth/error.h"

namespace berth::images {
namespace {

std::string platform_str(const std::string& os, const std::string& arch,
                         const std::string& variant) {
    return os + "/" + arch + (variant.empty() ? "" : "/" + variant);
}

bool is_index(const FetchedManifest& m) {
    if (is_index_media_type(m.media_type)) return true;
    // Some registries answer with a generic Content-Type: the document says what it is.
    auto j = parse_json(m.body, "manifest");
    return j.is_object() && (is_index_media_type(j.value("mediaType", "")) ||
                             (j.contains("manifests") && !j.contains("layers")));
}

// The index entry for the wanted platform; an error listing what the index has otherwise.
Descriptor pick_platform(const std::vector<Descriptor>& entries, const PullOptions& o) {
    std::string available;
    for (const Descriptor& d : entries) {
        if (d.os == o.os && d.architecture == o.architecture &&
            (o.variant.empty() || d.variant == o.variant))
            return d;
        if (d.os.empty()) continue;  // attestations and other non-image entries
        available +=
            (available.empty() ? "" : ", ") + platform_str(d.os, d.architecture, d.variant);
    }
    throw Error("no image for platform " + platform_str(o.os, o.architecture, o.variant) +
                " (available: " + (available.empty() ? "none" : available) + ")");
}

bool is_layer_media_type(const std::string& t) {
    return t.find("image.layer.v1.tar") != std::string::npos ||
           t.find("image.rootfs.diff.tar") != std::string::npos;
}

}  // namespace

ResolvedManifest resolve_manifest(RegistryClient& client, const Reference& ref,
                                  const PullOptions& options) {
    ResolvedManifest out;
    FetchedManifest top = client.manifest(ref.manifest_ref());
    if (!ref.digest.empty() && top.digest != ref.digest)
        throw Error("manifest digest mismatch: asked for " + ref.digest.str() + ", registry sent " +
                    top.digest.str());
    out.resolved = top.digest;
    out.image = top;
    out.from_index = is_index(top);
    if (out.from_index) {
        Descriptor d = pick_platform(parse_index(top.body, "index " + top.digest.str()), options);
        out.image = client.manifest(d.digest.str());
        if (out.image.digest != d.digest)
            throw Error("manifest " + d.digest.str() + ": digest mismatch: content is " +
                        out.image.digest.str());
    }
    out.manifest = parse_manifest(out.image.body, "manifest " + out.image.digest.str());
    const Manifest& manifest = out.manifest;
    // The size bounds each transfer: without it a registry could stream forever.
    if (manifest.config.size < 0)
        throw Error("config " + manifest.config.digest.str() + ": descriptor without a size");
    for (const Descriptor& l : manifest.layers)
        if (l.size < 0) throw Error("layer " + l.digest.str() + ": descriptor without a size");
    for (const Descriptor& l : manifest.layers)
        if (!is_layer_media_type(l.media_type))
            throw Error("layer " + l.digest.str() + ": unsupported media type \"" + l.media_type +
                        "\"");
    return out;
}

void check_config_platform(const ImageConfig& config, const ResolvedManifest& m,
                           const PullOptions& options) {
    if (m.from_index) return;
    std::string os = config.doc.value("os", ""), arch = config.doc.value("architecture", "");
    if (os != options.os || arch != options.architecture)
        throw Error("no image for platform " +
                    platform_str(options.os, options.architecture, options.variant) +
                    " (available: " + platform_str(os, arch, config.doc.value("variant", "")) +
                    ")");
}

}  // namespace berth::images
