// berth pull [--insecure] [--platform os/arch[/variant]] [-q] REF
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "berth/images/pull.h"
#include "berth/images/store.h"
#include "commands.h"
#include "pull_progress.h"

namespace berth::cli {
namespace {

struct PullFlags {
    std::string ref;
    std::string platform = "linux/amd64";
    std::string certs_dir;
    bool insecure = false, quiet = false;
    uint64_t max_layer_size = images::UnpackOptions{}.max_bytes;
};

int pull(const GlobalFlags& g, const PullFlags& f) {
    images::PullOptions options;
    images::parse_platform(f.platform, options);
    options.insecure = f.insecure;
    options.certs_dir = f.certs_dir;
    options.unpack.max_bytes = f.max_layer_size;
    PullDisplay display(stdout, ::isatty(STDOUT_FILENO) == 1);
    if (!f.quiet) options.progress = [&](const images::PullProgress& p) { display.update(p); };
    images::Store store(g.root);
    images::PullResult r = images::pull_image(store, f.ref, options);
    if (f.quiet) {
        std::printf("%s\n", r.image.id.str().c_str());
        return 0;
    }
    std::printf("Digest: %s\n", r.resolved.str().c_str());
    std::printf("Pulled %s (%d blobs, %s; %d already present)\n", f.ref.c_str(), r.blobs_downloaded,
                human_bytes(double(r.bytes_downloaded)).c_str(), r.blobs_skipped);
    std::printf("Image ID: %s\n", r.image.id.str().c_str());
    return 0;
}

}  // namespace

void add_max_layer_size(CLI::App& cmd, uint64_t& bytes) {
    cmd.add_option("--max-layer-size", bytes,
                   "decompressed bytes a layer may hold (k/M/G suffixes are powers of 1024)")
        ->transform(CLI::AsSizeValue(false))
        ->capture_default_str();
}

void add_pull_command(CLI::App& app, GlobalFlags& g, Action& action) {
    auto flags = std::make_shared<PullFlags>();
    CLI::App* cmd = app.add_subcommand("pull", "pull an image from a registry (distribution v2)");
    cmd->add_option("REF", flags->ref, "registry/repository[:tag][@sha256:...]")->required();
    cmd->add_option("--platform", flags->platform, "os/arch[/variant] to pick from an index")
        ->capture_default_str();
    cmd->add_flag("--insecure", flags->insecure, "allow plain http and unverified https");
    cmd->add_option("--certs-dir", flags->certs_dir,
                    "per-registry CAs in DIR/HOST:PORT/*.crt (default $BERTH_CERTS_DIR or "
                    "/etc/berth/certs.d)");
    cmd->add_flag("-q,--quiet", flags->quiet, "no progress; print only the image ID");
    add_max_layer_size(*cmd, flags->max_layer_size);
    cmd->callback([&, flags] { action = [&g, flags] { return pull(g, *flags); }; });
}

}  // namespace berth::cli
