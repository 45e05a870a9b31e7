// The local sources of an analysis: an image in the store, an archive (docker save or OCI
// layout tar), an OCI layout directory. Archives and layouts are found with the same code as
// `load` (image_locate), but read through sources that stage nothing.
#include <fcntl.h>
#include <sys/stat.h>

#include "analyze_input.h"
#include "berth/error.h"
#include "image_locate.h"
#include "load_source.h"

namespace berth::images {

void bind_layers(ImageInput& input, const std::vector<Descriptor>& layers,
                 const std::string& config_text, bool check_digest,
                 const std::function<std::function<std::unique_ptr<ByteStream>()>(size_t)>& open) {
    ImageConfig config = parse_config(config_text, "config " + input.id.str());
    if (config.diff_ids.size() != layers.size())
        throw Error("image " + input.id.str() + ": manifest has " + std::to_string(layers.size()) +
                    " layers, config " + std::to_string(config.diff_ids.size()) + " diff_ids");
    input.config = std::move(config.doc);
    for (size_t i = 0; i < layers.size(); ++i)
        input.layers.push_back(
            {layers[i], config.diff_ids[i], check_digest && !layers[i].digest.empty(), open(i)});
}

ImageAnalysis analyze_stored(Store& store, const std::string& ref, const AnalyzeOptions& options) {
    Store::Lock lock(store, false);  // no image rm while its blobs are read
    ImageRecord record = store.resolve(ref);
    ImageInput input;
    input.source = "store";
    input.reference = ref;
    input.id = record.id;
    input.manifest = record.manifest;
    std::vector<Descriptor> descs;
    for (const LayerRecord& l : record.layers) {
        Descriptor d;
        d.digest = l.blob;
        d.media_type = l.media_type;
        d.size = static_cast<int64_t>(l.blob_size);
        descs.push_back(d);
    }
    // Store blobs were verified when they were stored; the DiffID check still runs.
    bind_layers(input, descs, store.read_blob(record.id), false, [&](size_t i) {
        std::string path = store.blob_path(record.layers[i].blob);
        return [path]() -> std::unique_ptr<ByteStream> {
            UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
            if (!fd) throw_errno("open blob " + path);
            return fd_stream(std::move(fd), path);
        };
    });
    return run_analysis(input, options);
}

namespace {

ImageAnalysis analyze_source(LoadSource& src, const std::string& path, const std::string& kind,
                             const AnalyzeOptions& options) {
    LocateOptions locate;
    locate.os = options.os;
    locate.architecture = options.architecture;
    locate.hash_docker_layers = false;
    std::vector<LocatedImage> images = locate_images(src, path, locate);
    if (images.size() != 1) {
        std::string names;
        for (const LocatedImage& i : images)
            names += (names.empty() ? "" : ", ") +
                     (i.tags.empty() ? i.config.short_str() : i.tags.front());
        throw Error(path + ": holds " + std::to_string(images.size()) + " images (" + names +
                    "); analyze reads one");
    }
    const LocatedImage& image = images.front();
    ImageInput input;
    input.source = kind;
    input.reference = path;
    input.id = image.config;
    input.manifest = image.manifest;
    std::string config_text = src.read(image.config_name);
    if (Digest::of(config_text) != image.config)
        throw Error("config " + image.config.str() + ": digest mismatch");
    bind_layers(input, image.layer_descs, config_text, true, [&](size_t i) {
        std::string name = image.layer_names[i];
        LoadSource* source = &src;
        return [source, name] { return source->open_stream(name); };
    });
    return run_analysis(input, options);
}

}  // namespace

ImageAnalysis analyze_archive(const std::string& path, const AnalyzeOptions& options) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) throw_errno("analyze " + path);
    if (S_ISDIR(st.st_mode)) throw Error("analyze " + path + ": a directory (use --layout)");
    std::unique_ptr<LoadSource> src = open_tar_stream_source(path);
    return analyze_source(*src, path, "archive", options);
}

ImageAnalysis analyze_layout(const std::string& dir, const AnalyzeOptions& options) {
    std::unique_ptr<LoadSource> src = open_dir_source(dir);
    return analyze_source(*src, dir, "layout", options);
}

}  // namespace berth::images
