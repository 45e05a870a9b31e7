#include <gtest/gtest.h>
#include <sys/mount.h>

#include "mount_options.h"

namespace berth::runtime {
namespace {

TEST(MountOptions, FlagsPropagationAndFilesystemParameters) {
    MountRequest r =
        parse_mount_options({"rbind", "ro", "nosuid", "rslave", "mode=755", "newinstance"});
    EXPECT_TRUE(r.bind);
    EXPECT_TRUE(r.recursive);
    EXPECT_EQ(r.attr_set, static_cast<uint64_t>(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID));
    EXPECT_EQ(r.propagation, static_cast<unsigned long>(MS_SLAVE));
    EXPECT_TRUE(r.propagation_recursive);
    ASSERT_EQ(r.fs_params.size(), 2u);
    EXPECT_EQ(r.fs_params[0], (std::pair<std::string, std::string>{"mode", "755"}));
    EXPECT_EQ(r.fs_params[1], (std::pair<std::string, std::string>{"newinstance", ""}));
}

TEST(MountOptions, LaterOptionsWinAndRecursiveForms) {
    MountRequest r = parse_mount_options({"ro", "rw", "rnoexec"});
    EXPECT_EQ(r.attr_set, static_cast<uint64_t>(MOUNT_ATTR_NOEXEC));
    EXPECT_TRUE(r.attr_clear & MOUNT_ATTR_RDONLY);
    EXPECT_TRUE(r.recursive_attrs);
    MountRequest atime = parse_mount_options({"noatime", "strictatime"});
    EXPECT_EQ(atime.attr_set & MOUNT_ATTR__ATIME, static_cast<uint64_t>(MOUNT_ATTR_STRICTATIME));
}

TEST(MountOptions, MountEightOnlyOptionsAreIgnored) {
    MountRequest r = parse_mount_options({"defaults", "nouser", "auto"});
    EXPECT_TRUE(r.fs_params.empty());
    EXPECT_EQ(r.attr_set, 0u);
}

}  // namespace
}  // namespace berth::runtime
