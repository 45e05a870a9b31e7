// The whole user flow in one test, as a user types it: a registry on loopback with the
// fixtures pushed, `berth pull`, `berth image ls`, a container run by berth-runtime on an
// overlay root over the pulled layers, then `image save` -> `image rm` -> `image load` giving
// back the same image ID.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "berth/images/overlay.h"
#include "berth/images/store.h"
#include "images_support.h"
#include "registry_fixture.h"
#include "support/subprocess.h"

namespace berth::test {
namespace {

class UserFlow : public ::testing::Test {
  protected:
    Result berth(std::vector<std::string> args) {
        args.insert(args.begin(), {BERTH_BINARY, "--root", dir_ / "root"});
        return run(args, 120);
    }
    // Declared first: destroyed last, after the overlay below it is unmounted.
    TempDir dir_{"berth-flow"};
    Registry registry_;
};

TEST_F(UserFlow, PullListRunSaveRemoveLoad) {
    const std::string ref = registry_.host() + "/berth/busybox:1";
    Result pull = berth({"pull", "--insecure", ref});
    ASSERT_EQ(pull.exit_code, 0) << pull.err;
    size_t at = pull.out.find("Image ID: sha256:");
    ASSERT_NE(at, std::string::npos) << pull.out;
    const std::string id = pull.out.substr(at + 10, 71);

    Result ls = berth({"image", "ls"});
    ASSERT_EQ(ls.exit_code, 0) << ls.err;
    EXPECT_NE(ls.out.find(ref), std::string::npos) << ls.out;
    EXPECT_NE(ls.out.find(id.substr(7, 12)), std::string::npos) << ls.out;

    {
        images::Store store(dir_ / "root");
        images::ImageRecord image = store.resolve(ref);
        ASSERT_EQ(image.id.str(), id);
        std::string bundle = dir_ / "bundle";
        std::filesystem::create_directories(bundle + "/rootfs");
        images::OverlayMount root(images::image_lowers(store, image), dir_ / "rw",
                                  bundle + "/rootfs", false);
        Result spec = run({BERTH_RUNTIME_BINARY, "spec", "--bundle", bundle});
        ASSERT_EQ(spec.exit_code, 0) << spec.err;
        auto config = nlohmann::json::parse(slurp(bundle + "/config.json"));
        config["process"]["args"] = {
            "/bin/sh", "-c", "echo hello from the pulled image; id -u; echo written > /made-here"};
        config["root"]["readonly"] = false;  // a writable root, as `docker run` gives
        spit(bundle + "/config.json", config.dump());
        Result r = run({BERTH_RUNTIME_BINARY, "--root", dir_ / "state", "run", "--bundle", bundle,
                        "flow-" + std::to_string(::getpid())});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.out, "hello from the pulled image\n0\n");
        // The container's write is in its own upper dir; the shared layer is untouched.
        EXPECT_EQ(slurp(dir_ / "rw/upper/made-here"), "written\n");
        struct stat st;
        EXPECT_NE(::lstat((store.layer_path(image.layers[0].chain_id) + "/made-here").c_str(), &st),
                  0);
    }

    std::string archive = dir_ / "busybox.tar";
    Result save = berth({"image", "save", "-o", archive, ref});
    ASSERT_EQ(save.exit_code, 0) << save.err;
    Result rm = berth({"image", "rm", ref});
    ASSERT_EQ(rm.exit_code, 0) << rm.err;
    EXPECT_NE(rm.out.find("Deleted: " + id), std::string::npos) << rm.out;
    EXPECT_EQ(berth({"image", "ls", "-q"}).out, "");
    EXPECT_TRUE(list_tree(dir_ / "root/layers").empty()) << "rm freed the layer";

    Result load = berth({"image", "load", "-i", archive});
    ASSERT_EQ(load.exit_code, 0) << load.err;
    EXPECT_EQ(load.out, "Loaded image: " + ref + "\n");
    Result inspect = berth({"image", "inspect", ref});
    ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
    EXPECT_EQ(nlohmann::json::parse(inspect.out).at(0)["Id"], id) << "same image ID after the trip";
}

}  // namespace
}  // namespace berth::test
