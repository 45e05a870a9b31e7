// Engine: opening the stores, `create` and the reconciled state.
#include <cstdio>

#include "berth/engine/engine.h"
#include "berth/images/overlay.h"
#include "berth/images/pull.h"
#include "berth/images/reference.h"
#include "berth/images/store.h"
#include "bundle.h"
#include "mounts.h"
#include "network_setup.h"

namespace berth::engine {
namespace {

using nlohmann::json;

images::ImageRecord find_or_pull(images::Store& store, const std::string& ref, bool insecure) {
    {
        images::Store::Lock lock(store, false);
        if (auto image = store.find(ref)) return *image;
    }
    images::Reference parsed;
    try {
        parsed = images::parse_reference(ref);
    } catch (const Error&) {
        throw Error("Unable to find image '" + ref +
                    "' locally, and it names no registry to pull it from");
    }
    std::fprintf(stderr, "Unable to find image '%s' locally, pulling\n", ref.c_str());
    images::PullOptions options;
    options.insecure = insecure;
    return images::pull_image(store, parsed.str(), options).image;
}

// The image config's "config" object (docker's container config of the image).
json image_config(const images::Store& store, const images::ImageRecord& image) {
    auto doc = json::parse(store.read_blob(image.id), nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        throw Error("image " + image.id.str() + ": config is not JSON");
    json c = doc.value("config", json::object());
    return c.is_object() ? c : json::object();
}

std::vector<std::string> strings(const json& j, const char* key) {
    std::vector<std::string> out;
    if (j.contains(key) && j[key].is_array())
        for (const json& v : j[key])
            if (v.is_string()) out.push_back(v.get<std::string>());
    return out;
}

ContainerConfig merged_config(const CreateRequest& req, const json& ic) {
    ContainerConfig c = req.config;
    c.image = req.image;
    std::vector<std::string> env = strings(ic, "Env");
    for (const std::string& e : req.config.env) {
        std::string key = e.substr(0, e.find('='));
        std::erase_if(env, [&](const std::string& x) { return x.substr(0, x.find('=')) == key; });
        env.push_back(e);
    }
    c.env = env;
    if (!req.entrypoint_set) c.entrypoint = strings(ic, "Entrypoint");
    // docker: --entrypoint resets the image's Cmd too.
    if (c.cmd.empty() && !req.entrypoint_set) c.cmd = strings(ic, "Cmd");
    if (c.working_dir.empty() && ic.contains("WorkingDir") && ic["WorkingDir"].is_string())
        c.working_dir = ic["WorkingDir"].get<std::string>();
    if (c.user.empty() && ic.contains("User") && ic["User"].is_string())
        c.user = ic["User"].get<std::string>();
    if ((c.stop_signal.empty() || c.stop_signal == "SIGTERM") && ic.contains("StopSignal") &&
        ic["StopSignal"].is_string())
        c.stop_signal = ic["StopSignal"].get<std::string>();
    if (c.stop_signal.empty()) c.stop_signal = "SIGTERM";
    // docker: what --health-* leave unset comes from the image's HEALTHCHECK
    // (--no-healthcheck is Test ["NONE"], which turns the image's off).
    if (ic.contains("Healthcheck") && ic["Healthcheck"].is_object()) {
        HealthConfig image = health_config_from(ic["Healthcheck"], "image " + req.image);
        if (!c.healthcheck) c.healthcheck = HealthConfig{};
        HealthConfig& h = *c.healthcheck;
        if (h.test.empty()) h.test = image.test;
        if (!h.interval) h.interval = image.interval;
        if (!h.timeout) h.timeout = image.timeout;
        if (!h.start_period) h.start_period = image.start_period;
        if (!h.retries) h.retries = image.retries;
    }
    if (c.healthcheck && c.healthcheck->test.empty()) c.healthcheck.reset();  // nothing to run
    if (ic.contains("Labels") && ic["Labels"].is_object())
        for (const auto& [k, v] : ic["Labels"].items())
            if (v.is_string() && !c.labels.count(k)) c.labels[k] = v.get<std::string>();
    return c;
}

void validate_host_config(HostConfig& h, const std::string& root) {
    if (h.memory != 0 && h.memory < 6 * 1024 * 1024)
        throw Error("--memory " + std::to_string(h.memory) +
                    ": minimum memory limit allowed is 6MB");
    if (h.memory_swap > 0 && h.memory > 0 && h.memory_swap < h.memory)
        throw Error("--memory-swap must be at least --memory");
    if (h.nano_cpus < 0) throw Error("--cpus must be positive");
    for (std::string& c : h.cap_add) c = normalize_capability(c);
    for (std::string& c : h.cap_drop) c = normalize_capability(c);
    validate_network_mode(h.network_mode, root);
    if (h.auto_remove && h.restart_policy.name != "no")
        throw Error("conflicting options: --restart and --rm");
}

}  // namespace

Engine::Engine(std::string root, std::string run_root)
    : containers_(root, std::move(run_root)), images_(std::make_unique<images::Store>(root)) {}

Engine::~Engine() = default;

images::Store& Engine::images() {
    return *images_;
}

std::string Engine::create(const CreateRequest& req) {
    HostConfig host = req.host;
    validate_host_config(host, containers_.root());
    images::ImageRecord image = find_or_pull(*images_, req.image, req.pull_insecure);
    ContainerRecord r;
    r.name = req.name;
    r.created = now_rfc3339_nano();
    r.image_id = image.id.str();
    r.config = merged_config(req, image_config(*images_, image));
    std::vector<std::string> argv = r.config.entrypoint;
    argv.insert(argv.end(), r.config.cmd.begin(), r.config.cmd.end());
    if (argv.empty()) throw Error("no command specified (the image has no Cmd or Entrypoint)");
    r.path = argv.front();
    r.args.assign(argv.begin() + 1, argv.end());
    r.host_config = host;
    for (const std::string& v : host.binds) r.mounts.push_back(parse_volume_flag(containers_, v));
    for (const auto& [path, options] : host.tmpfs) {
        std::string opts;
        r.mounts.push_back(parse_tmpfs_flag(path + (options.empty() ? "" : ":" + options), opts));
    }
    r.lower_dirs = images::image_lowers(*images_, image);
    containers_.create(r);
    try {
        acquire_volumes(containers_, r);
        images_->add_hold(r.id, image);
    } catch (...) {
        release_volumes(containers_, r.id, true);
        containers_.remove(r.id);
        throw;
    }
    return r.id;
}

RunState Engine::state(const std::string& id) const {
    RunState st = containers_.load_state(id);
    if (st.status != "running" && st.status != "restarting") return st;
    bool container = process_alive(st.pid, st.pid_start_time);
    bool monitor = process_alive(st.monitor_pid, st.monitor_start_time);
    if (container) {
        st.status = "running";
        if (!monitor)
            st.error =
                "the container's monitor exited: its output is no longer logged and its "
                "restart policy no longer applies";
        return st;
    }
    if (monitor) {
        // Between restarts, or the monitor is recording the exit right now.
        if (st.status == "running") st.status = "exited";
        return st;
    }
    st.status = "exited";
    st.exit_code = 255;
    st.error = "the container's monitor exited without recording the exit status";
    return st;
}

}  // namespace berth::engine
