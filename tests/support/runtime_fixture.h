// Shared set-up for the end-to-end runtime tests: a busybox rootfs built once per test binary by
// rootfs-fixtures/busybox-rootfs.sh, and per test a private state root and bundle directory that
// are torn down (containers force-deleted) even when the test fails.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "subprocess.h"

namespace berth::test {

const std::string& busybox_rootfs();
std::string make_temp_dir(const std::string& prefix);
void remove_tree(const std::string& path);
std::string read_text(const std::string& path);
void write_text(const std::string& path, const std::string& text);

class RuntimeTest : public ::testing::Test {
  protected:
    void SetUp() override;
    void TearDown() override;

    // The default spec with root.path pointing at the shared, read-only busybox rootfs.
    nlohmann::json base_config(const std::vector<std::string>& args) const;
    // Writes config.json into a new bundle directory and returns the directory.
    std::string write_bundle(const nlohmann::json& config);
    Result runtime(const std::vector<std::string>& args, int timeout_seconds = 60) const;
    // `run` of a config in the foreground with a fresh id.
    Result run_config(const nlohmann::json& config);
    std::string unique_id(const std::string& stem);
    // A private, writable copy of the busybox rootfs (to make hostile, or to write into).
    std::string copy_of_rootfs(const std::string& name);
    nlohmann::json state(const std::string& id) const;

    std::string work_;  // per-test scratch directory
    std::string root_;  // --root for berth-runtime
    int counter_ = 0;
};

extern const char* const kRuntimeBinary;

}  // namespace berth::test
