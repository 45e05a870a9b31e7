#include "berth/images/load.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth/error.h"
#include "berth/fd.h"
#include "berth/file_io.h"
#include "fs_util.h"
#include "image_locate.h"
#include "load_source.h"
#include "manifest.h"

namespace berth::images {
namespace {

ImageRecord import_image(Store& store, LoadSource& src, const LocatedImage& p,
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
    LocateOptions locate;
    locate.os = options.os;
    locate.architecture = options.architecture;
    locate.store = &store;
    std::vector<LocatedImage> pending = locate_images(*src, path, locate);
    LoadResult result;
    for (const LocatedImage& p : pending)
        result.images.push_back(import_image(store, *src, p, options, result));
    return result;
}

}  // namespace berth::images
