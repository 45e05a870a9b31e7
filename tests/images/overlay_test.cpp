// The merged view of a multi-layer image through a real overlayfs mount.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "berth/images/load.h"
#include "berth/images/overlay.h"
#include "images_support.h"
#include "support/subprocess.h"

namespace berth::test {
namespace {

using images::OverlayMount;

class Overlay : public ::testing::Test {
  protected:
    void SetUp() override {
        std::filesystem::create_directory(dir_ / "rootfs");
        image_ = images::load_images(store_, fixtures().multilayer_dir).images.at(0);
    }
    bool exists(const std::string& rel) const {
        struct stat st;
        return ::lstat((dir_ / ("rootfs/" + rel)).c_str(), &st) == 0;
    }
    std::string read(const std::string& rel) const { return slurp(dir_ / ("rootfs/" + rel)); }

    // Declared before any mount in the tests, so mounts are gone before the dir is removed.
    TempDir dir_{"berth-overlay"};
    images::Store store_{dir_ / "store"};
    images::ImageRecord image_;
};

TEST_F(Overlay, MultiLayerMergedView) {
    OverlayMount mount(images::image_lowers(store_, image_), dir_ / "rw", dir_ / "rootfs", false);
    EXPECT_EQ(read("data/keep.txt"), "keep\n");
    EXPECT_EQ(read("data/changed.txt"), "v2\n") << "upper layer wins";
    EXPECT_FALSE(exists("data/deleted.txt")) << "whited out in layer 2";
    EXPECT_FALSE(exists("bin/vi")) << "a layer-0 file whited out in layer 2";
    EXPECT_TRUE(exists("bin/sh"));
    EXPECT_EQ(read("opq/upper.txt"), "upper\n");
    EXPECT_FALSE(exists("opq/lower.txt")) << "opaque dir hides layer 1's content";
    EXPECT_FALSE(exists("opq/sub"));
    EXPECT_EQ(read("new/added.txt"), "added\n");
    EXPECT_EQ(read("data/hard.txt"), "keep\n");
    EXPECT_EQ(std::filesystem::read_symlink(dir_ / "rootfs/data/link"), "keep.txt");
    struct stat st;
    ASSERT_EQ(::lstat((dir_ / "rootfs/data/owned.txt").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1000u);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    EXPECT_EQ(read("etc/motd"), "layer 1\n");

    // Writes go to the container's upper dir; the shared layers stay untouched.
    spit(dir_ / "rootfs/data/keep.txt", "changed by the container");
    EXPECT_EQ(slurp(dir_ / "rw/upper/data/keep.txt"), "changed by the container");
    EXPECT_EQ(slurp(store_.layer_path(image_.layers[1].chain_id) + "/data/keep.txt"), "keep\n");

    mount.unmount();
    EXPECT_FALSE(exists("data")) << "unmounted";
}

TEST_F(Overlay, ReadOnlyRoot) {
    OverlayMount mount(images::image_lowers(store_, image_), dir_ / "rw", dir_ / "rootfs", true);
    EXPECT_EQ(read("data/changed.txt"), "v2\n");
    EXPECT_NE(::mkdir((dir_ / "rootfs/newdir").c_str(), 0755), 0);
    EXPECT_EQ(errno, EROFS);
}

TEST_F(Overlay, UnmountsWhenDestroyed) {
    {
        OverlayMount mount(images::image_lowers(store_, image_), dir_ / "rw", dir_ / "rootfs",
                           false);
        EXPECT_TRUE(exists("bin/busybox"));
    }
    EXPECT_FALSE(exists("bin/busybox"));
}

// The point of it all: berth-runtime runs a container on the image's overlay root.
TEST_F(Overlay, BerthRuntimeRunsAContainerOnIt) {
    std::string bundle = dir_ / "bundle";
    std::filesystem::create_directories(bundle + "/rootfs");
    OverlayMount mount(images::image_lowers(store_, image_), dir_ / "rw", bundle + "/rootfs",
                       false);
    Result spec = run({BERTH_RUNTIME_BINARY, "spec", "--bundle", bundle});
    ASSERT_EQ(spec.exit_code, 0) << spec.err;
    auto config = nlohmann::json::parse(slurp(bundle + "/config.json"));
    config["process"]["args"] = {"/bin/sh", "-c", "cat /data/changed.txt; ls /opq /data"};
    spit(bundle + "/config.json", config.dump());
    Result r = run({BERTH_RUNTIME_BINARY, "--root", dir_ / "state", "run", "--bundle", bundle,
                    "images-test-" + std::to_string(::getpid())});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out,
              "v2\n/data:\nchanged.txt\nhard.txt\nkeep.txt\nlink\nowned.txt\n\n/opq:\nupper.txt\n");
}

}  // namespace
}  // namespace berth::test
