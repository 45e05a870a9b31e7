#include "registry_fixture.h"

#include <filesystem>
#include <stdexcept>

#include "support/subprocess.h"

namespace berth::test {

Registry::Registry(bool basic_auth) {
    std::string fixtures_dir = std::filesystem::path(fixtures().busybox_dir).parent_path().string();
    std::vector<std::string> argv = {"/bin/bash", BERTH_REGISTRY_SCRIPT, "start", dir_.path(),
                                     fixtures_dir};
    if (basic_auth) argv.insert(argv.begin(), {"/usr/bin/env", "BERTH_REGISTRY_AUTH=basic"});
    Result r = run(argv, 120);
    if (r.exit_code != 0) {
        run({"/bin/bash", BERTH_REGISTRY_SCRIPT, "stop", dir_.path()}, 30);
        throw std::runtime_error("registry.sh start failed: " + r.err);
    }
    std::string port = r.out.substr(0, r.out.find('\n'));
    host_ = "127.0.0.1:" + port;
}

Registry::~Registry() {
    run({"/bin/bash", BERTH_REGISTRY_SCRIPT, "stop", dir_.path()}, 30);
}

std::string Registry::blob_file(const std::string& hex) const {
    return storage() + "/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" + hex + "/data";
}

}  // namespace berth::test
