// Image holds: an image a container was created from is not removed without force, prune
// keeps it, and its layers and blobs survive garbage collection even after a forced removal.
#include "berth/error.h"
#include "berth/images/load.h"
#include "berth/images/store.h"
#include "images_support.h"

namespace berth::test {
namespace {

using images::ImageRecord;
using images::Store;

class ImageHolds : public ::testing::Test {
  protected:
    void SetUp() override { images::load_images(store_, fixtures().busybox_dir); }
    TempDir dir_{"berth-holds"};
    Store store_{dir_ / "root"};
    const std::string holder_ = std::string(64, 'a');
};

TEST_F(ImageHolds, HeldImageIsNotRemovedWithoutForce) {
    ImageRecord image = store_.resolve("berth-fixtures/busybox:1");
    store_.add_hold(holder_, image);
    try {
        store_.remove("berth-fixtures/busybox:1");
        FAIL() << "a held image was removed";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("being used by container aaaaaaaaaaaa"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_TRUE(store_.find("berth-fixtures/busybox:1").has_value());
    store_.release_hold(holder_);
    store_.remove("berth-fixtures/busybox:1");
    EXPECT_FALSE(store_.find(image.id.str()).has_value());
    EXPECT_FALSE(store_.has_layer(image.layers.front().chain_id));
}

TEST_F(ImageHolds, ForcedRemovalKeepsTheHeldLayersAndBlobs) {
    ImageRecord image = store_.resolve("berth-fixtures/busybox:1");
    store_.add_hold(holder_, image);
    store_.remove("berth-fixtures/busybox:1", true);
    EXPECT_FALSE(store_.find("berth-fixtures/busybox:1").has_value());
    // The container's overlay lower dir must still be there.
    EXPECT_TRUE(store_.has_layer(image.layers.front().chain_id));
    EXPECT_TRUE(store_.has_blob(image.layers.front().blob));
    store_.garbage_collect();
    EXPECT_TRUE(store_.has_layer(image.layers.front().chain_id));
    // Once the container is gone, the next collection takes them.
    store_.release_hold(holder_);
    Store::Collected c = store_.garbage_collect();
    EXPECT_EQ(c.layers, 1);
    EXPECT_FALSE(store_.has_layer(image.layers.front().chain_id));
    EXPECT_FALSE(store_.has_blob(image.layers.front().blob));
}

TEST_F(ImageHolds, PruneKeepsAnUntaggedImageInUse) {
    ImageRecord image = store_.resolve("berth-fixtures/busybox:1");
    image.repo_tags.clear();
    store_.save(image);  // now dangling
    store_.add_hold(holder_, image);
    Store::Pruned p = store_.prune();
    EXPECT_TRUE(p.images.empty());
    EXPECT_TRUE(store_.find(image.id.str()).has_value());
    store_.release_hold(holder_);
    p = store_.prune();
    ASSERT_EQ(p.images.size(), 1u);
    EXPECT_EQ(p.images.front(), image.id);
}

TEST_F(ImageHolds, HolderNamesCannotEscapeTheStore) {
    ImageRecord image = store_.resolve("berth-fixtures/busybox:1");
    EXPECT_THROW(store_.add_hold("../../etc/x", image), Error);
    EXPECT_THROW(store_.release_hold("a/b"), Error);
    EXPECT_THROW(store_.add_hold("", image), Error);
    // Releasing a hold that does not exist is fine (rm after a crash).
    EXPECT_NO_THROW(store_.release_hold(holder_));
    EXPECT_TRUE(store_.holds().empty());
}

}  // namespace
}  // namespace berth::test
