#include "runtime_fixture.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "berth/runtime/spec.h"

namespace berth::test {

const char* const kRuntimeBinary = BERTH_RUNTIME_BINARY;

namespace {

class RootfsEnvironment : public ::testing::Environment {
  public:
    void SetUp() override {
        dir_ = make_temp_dir("berth-rootfs");
        rootfs_ = dir_ + "/busybox";
        // Generous: under qemu TCG on a loaded host this script alone took over 120 s.
        Result r = run({"/bin/bash", BERTH_FIXTURE_SCRIPT, rootfs_}, 600);
        if (r.exit_code == -1) throw std::runtime_error("building busybox rootfs timed out");
        if (r.exit_code != 0) throw std::runtime_error("building busybox rootfs failed: " + r.err);
    }
    void TearDown() override { remove_tree(dir_); }
    std::string dir_, rootfs_;
};

RootfsEnvironment* environment =
    static_cast<RootfsEnvironment*>(::testing::AddGlobalTestEnvironment(new RootfsEnvironment));

}  // namespace

const std::string& busybox_rootfs() {
    return environment->rootfs_;
}

std::string make_temp_dir(const std::string& prefix) {
    std::string pattern = "/tmp/" + prefix + "-XXXXXX";
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    // Traversable by others: a container's mapped root (user namespaces) must reach the
    // rootfs and bind sources below it.
    chmod(pattern.c_str(), 0755);
    return pattern;
}

void remove_tree(const std::string& path) {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
}

void RuntimeTest::SetUp() {
    work_ = make_temp_dir("berth-test");
    root_ = work_ + "/state";
}

void RuntimeTest::TearDown() {
    // Leave nothing running, whatever the test did.
    Result list = runtime({"list", "-q"});
    std::istringstream ids(list.out);
    std::string id;
    while (std::getline(ids, id))
        if (!id.empty()) runtime({"delete", "--force", id});
    remove_tree(work_);
}

nlohmann::json RuntimeTest::base_config(const std::vector<std::string>& args) const {
    nlohmann::json config = nlohmann::json::parse(runtime::default_spec_json());
    config["root"]["path"] = busybox_rootfs();
    config["root"]["readonly"] = true;
    config["process"]["args"] = args;
    config["hostname"] = "berth-test";
    return config;
}

std::string RuntimeTest::write_bundle(const nlohmann::json& config) {
    std::string bundle = work_ + "/bundle" + std::to_string(++counter_);
    std::filesystem::create_directories(bundle);
    write_text(bundle + "/config.json", config.dump(2));
    return bundle;
}

Result RuntimeTest::runtime(const std::vector<std::string>& args, int timeout_seconds) const {
    std::vector<std::string> argv = {kRuntimeBinary, "--root", root_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, timeout_seconds);
}

Result RuntimeTest::run_config(const nlohmann::json& config) {
    std::string bundle = write_bundle(config);
    return runtime({"run", "--bundle", bundle, unique_id("run")});
}

std::string RuntimeTest::unique_id(const std::string& stem) {
    return stem + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter_);
}

std::string RuntimeTest::copy_of_rootfs(const std::string& name) {
    std::string rootfs = work_ + "/" + name + "-" + std::to_string(++counter_);
    std::filesystem::copy(
        busybox_rootfs(), rootfs,
        std::filesystem::copy_options::recursive | std::filesystem::copy_options::copy_symlinks);
    return rootfs;
}

nlohmann::json RuntimeTest::state(const std::string& id) const {
    Result r = runtime({"state", id});
    if (r.exit_code != 0) return nlohmann::json{{"error", r.err}};
    return nlohmann::json::parse(r.out);
}

}  // namespace berth::test
