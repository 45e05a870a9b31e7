// berth diff CONTAINER
// berth commit [--pause=true] [-c|--change INSTR]... [-m|--message M] [-a|--author A]
//              CONTAINER [REPO[:TAG]]
#include <cstdio>
#include <memory>

#include "berth/engine/engine.h"
#include "berth/images/commit.h"
#include "berth/images/store.h"
#include "berth/runtime/runtime.h"
#include "commands.h"
#include "container_commands.h"

namespace berth::cli {
namespace {

struct DiffCommitFlags {
    std::string container, repo_tag, message, author;
    std::vector<std::string> changes;
    bool pause = true;
};

// What the container's mounts cover: the engine's /etc/hosts, /etc/hostname,
// /etc/resolv.conf binds and every volume, bind and tmpfs target (their content is not the
// container's layer).
std::vector<std::string> mount_targets(const engine::ContainerRecord& r) {
    std::vector<std::string> out = {"etc/hosts", "etc/hostname", "etc/resolv.conf"};
    for (const engine::MountPoint& m : r.mounts)
        out.push_back(images::relative_target(m.destination));
    return out;
}

int diff(const GlobalFlags& g, const DiffCommitFlags& f) {
    engine::Engine engine(g.root, g.run_root);
    std::string id = engine.containers().resolve(f.container);
    engine::ContainerRecord r = engine.containers().load(id);
    for (const images::UpperChange& c : images::upper_changes(
             engine.containers().rw_dir(id) + "/upper", r.lower_dirs, mount_targets(r)))
        std::printf("%c %s\n", c.kind, c.path.c_str());
    return 0;
}

// Freezes a running container while its layer is read; thawed whatever happens.
class Paused {
  public:
    Paused(const std::string& runtime_root, std::string id)
        : rt_(runtime_root), id_(std::move(id)) {
        rt_.pause(id_);
    }
    ~Paused() {
        try {
            rt_.resume(id_);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "berth: resume %s: %s\n", id_.c_str(), e.what());
        }
    }
    Paused(const Paused&) = delete;
    Paused& operator=(const Paused&) = delete;

  private:
    runtime::Runtime rt_;
    std::string id_;
};

nlohmann::json container_config(const engine::ContainerConfig& c) {
    nlohmann::json j = nlohmann::json::object();
    if (!c.cmd.empty()) j["Cmd"] = c.cmd;
    if (!c.entrypoint.empty()) j["Entrypoint"] = c.entrypoint;
    if (!c.env.empty()) j["Env"] = c.env;
    if (!c.working_dir.empty()) j["WorkingDir"] = c.working_dir;
    if (!c.user.empty()) j["User"] = c.user;
    if (!c.labels.empty()) j["Labels"] = c.labels;
    return j;
}

int commit(const GlobalFlags& g, const DiffCommitFlags& f) {
    engine::Engine engine(g.root, g.run_root);
    std::string id = engine.containers().resolve(f.container);
    engine::ContainerRecord r = engine.containers().load(id);
    images::CommitRequest req;
    req.upper = engine.containers().rw_dir(id) + "/upper";
    req.lowers = r.lower_dirs;
    req.excluded = mount_targets(r);
    req.base = engine.images().resolve(r.image_id);
    // docker commit: the container's settings (image + run flags) are the new image's.
    req.container_config = container_config(r.config);
    req.changes = f.changes;
    req.message = f.message;
    req.author = f.author;
    req.container_id = id;
    req.tag = f.repo_tag;
    std::string cmd = r.path;
    for (const std::string& a : r.args) cmd += " " + a;
    req.created_by = cmd;
    for (const std::string& change : f.changes) {  // refused before anything is written
        nlohmann::json probe = nlohmann::json::object();
        images::apply_change(probe, change);
    }
    std::unique_ptr<Paused> paused;
    if (f.pause && engine.state(id).status == "running")
        paused = std::make_unique<Paused>(engine.containers().runtime_root(), id);
    images::CommitResult result = images::commit_image(engine.images(), req);
    paused.reset();
    std::printf("%s\n", result.image.id.str().c_str());
    return 0;
}

}  // namespace

void add_diff_commit_commands(CLI::App& app, GlobalFlags& g, Action& action) {
    auto f = std::make_shared<DiffCommitFlags>();
    CLI::App* d = app.add_subcommand("diff", "changes to a container's filesystem (A/C/D)");
    d->add_option("CONTAINER", f->container)->required();
    d->callback(
        [&, f] { action = [&g, f] { return container_action([&] { return diff(g, *f); }); }; });

    CLI::App* c = app.add_subcommand("commit", "make an image from a container's changes");
    c->add_option("CONTAINER", f->container)->required();
    c->add_option("REPOSITORY", f->repo_tag, "REPO[:TAG] for the new image");
    c->add_option(
         "-c,--change", f->changes,
         "Dockerfile instruction: CMD ENTRYPOINT ENV EXPOSE HEALTHCHECK LABEL ONBUILD STOPSIGNAL "
         "USER VOLUME WORKDIR")
        ->allow_extra_args(false);  // one instruction per --change; CONTAINER follows
    c->add_option("-m,--message", f->message, "commit message (the history entry's comment)");
    c->add_option("-a,--author", f->author, "author");
    c->add_option("-p,--pause", f->pause, "freeze a running container while it is read")
        ->default_str("true");
    c->callback(
        [&, f] { action = [&g, f] { return container_action([&] { return commit(g, *f); }); }; });
}

}  // namespace berth::cli
