// berth image load | save | ls | inspect | rm | tag
#include <cstdio>
#include <iostream>
#include <memory>
#include <vector>

#include "berth/error.h"
#include "berth/images/inspect.h"
#include "berth/images/load.h"
#include "berth/images/save.h"
#include "berth/images/store.h"
#include "commands.h"

namespace berth::cli {
namespace {

struct ImageFlags {
    std::string input_file;  // a tar, or an OCI layout directory
    std::string output_file, format = "oci";
    std::vector<std::string> refs;
    std::string source, target;
    bool force = false, quiet = false;
    uint64_t max_layer_size = images::UnpackOptions{}.max_bytes;
};

int load(const GlobalFlags& g, const ImageFlags& f) {
    if (f.input_file.empty()) throw Error("image load: -i FILE or --input DIR is required");
    images::Store store(g.root);
    images::LoadOptions options;
    options.unpack.max_bytes = f.max_layer_size;
    images::LoadResult r = images::load_images(store, f.input_file, options);
    for (const images::ImageRecord& image : r.images) {
        if (image.repo_tags.empty()) std::printf("Loaded image ID: %s\n", image.id.str().c_str());
        for (const std::string& t : image.repo_tags) std::printf("Loaded image: %s\n", t.c_str());
    }
    return 0;
}

std::string human_size(uint64_t bytes) {
    const char* units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1000 && u < 4) v /= 1000, ++u;
    char buf[32];
    std::snprintf(buf, sizeof buf, u ? "%.3g%s" : "%.0f%s", v, units[u]);
    return buf;
}

int list(const GlobalFlags& g, const ImageFlags& f) {
    images::Store store(g.root);
    images::Store::Lock lock(store, false);
    if (!f.quiet) std::printf("%-40s %-12s %-10s\n", "REPOSITORY:TAG", "IMAGE ID", "SIZE");
    for (const images::ImageRecord& image : store.images()) {
        uint64_t size = 0;
        for (const images::LayerRecord& l : image.layers) size += l.unpacked_size;
        std::string id = image.id.hex().substr(0, 12);
        if (f.quiet) {
            std::printf("%s\n", id.c_str());
            continue;
        }
        std::vector<std::string> tags = image.repo_tags;
        if (tags.empty()) tags.push_back("<none>:<none>");
        for (const std::string& t : tags)
            std::printf("%-40s %-12s %-10s\n", t.c_str(), id.c_str(), human_size(size).c_str());
    }
    return 0;
}

int inspect(const GlobalFlags& g, const ImageFlags& f) {
    images::Store store(g.root);
    images::Store::Lock lock(store, false);
    nlohmann::json out = nlohmann::json::array();
    for (const std::string& ref : f.refs)
        out.push_back(images::inspect_image(store, store.resolve(ref)));
    std::cout << out.dump(4) << "\n";
    return 0;
}

int remove(const GlobalFlags& g, const ImageFlags& f) {
    images::Store store(g.root);
    for (const std::string& ref : f.refs)
        for (const std::string& line : store.remove(ref, f.force))
            std::printf("%s\n", line.c_str());
    return 0;
}

int save(const GlobalFlags& g, const ImageFlags& f) {
    images::Store store(g.root);
    images::save_images(
        store, f.refs, f.output_file,
        f.format == "docker" ? images::SaveFormat::docker : images::SaveFormat::oci);
    return 0;
}

int tag(const GlobalFlags& g, const ImageFlags& f) {
    images::Store store(g.root);
    store.tag(f.source, f.target);
    return 0;
}

}  // namespace

void add_image_commands(CLI::App& app, GlobalFlags& g, Action& action) {
    auto flags = std::make_shared<ImageFlags>();
    CLI::App* image = app.add_subcommand("image", "manage images");
    image->require_subcommand(1);

    CLI::App* load_cmd = image->add_subcommand("load", "load an OCI layout or docker save archive");
    load_cmd->add_option("-i,--input", flags->input_file,
                         "tar archive (docker save or OCI layout), or an OCI layout directory");
    add_max_layer_size(*load_cmd, flags->max_layer_size);
    load_cmd->callback([&, flags] { action = [&g, flags] { return load(g, *flags); }; });

    CLI::App* save_cmd = image->add_subcommand("save", "write images to an archive");
    save_cmd->add_option("-o,--output", flags->output_file, "tar file to write")->required();
    save_cmd->add_option("--format", flags->format, "oci (image layout) or docker (docker save)")
        ->check(CLI::IsMember({"oci", "docker"}))
        ->capture_default_str();
    save_cmd->add_option("REF", flags->refs, "image name, tag or ID")->required();
    save_cmd->callback([&, flags] { action = [&g, flags] { return save(g, *flags); }; });

    CLI::App* ls = image->add_subcommand("ls", "list images");
    ls->alias("list");
    ls->add_flag("-q,--quiet", flags->quiet, "only IDs");
    ls->callback([&, flags] { action = [&g, flags] { return list(g, *flags); }; });

    CLI::App* insp = image->add_subcommand("inspect", "show images as JSON");
    insp->add_option("REF", flags->refs, "image name, tag or ID")->required();
    insp->callback([&, flags] { action = [&g, flags] { return inspect(g, *flags); }; });

    CLI::App* rm = image->add_subcommand("rm", "remove images");
    rm->add_option("REF", flags->refs, "image name, tag or ID")->required();
    rm->add_flag("-f,--force", flags->force, "remove an ID with several tags");
    rm->callback([&, flags] { action = [&g, flags] { return remove(g, *flags); }; });

    CLI::App* tag_cmd = image->add_subcommand("tag", "give an image another name");
    tag_cmd->add_option("SOURCE", flags->source)->required();
    tag_cmd->add_option("TARGET", flags->target)->required();
    tag_cmd->callback([&, flags] { action = [&g, flags] { return tag(g, *flags); }; });

    add_image_history_prune(*image, g, action);
    add_image_analyze(*image, g, action);
}

}  // namespace berth::cli
