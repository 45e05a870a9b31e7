// Safe layer extraction: what a layer may contain is kept, hostile entries are refused with an
// error naming the entry, and nothing outside the layer directory changes.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

#include "berth/error.h"
#include "berth/fd.h"
#include "berth/images/unpack.h"
#include "images_support.h"

namespace berth::test {
namespace {

using images::UnpackOptions;
using images::UnpackResult;

class Unpack : public ::testing::Test {
  protected:
    // The layer dir and a sibling "outside" dir an attack would try to reach.
    void SetUp() override {
        std::filesystem::create_directory(box_ / "layer");
        std::filesystem::create_directory(box_ / "outside");
    }
    UnpackResult unpack(const std::string& tar, UnpackOptions options = {}) {
        spit(box_ / "layer.tar", tar);
        UniqueFd in(::open((box_ / "layer.tar").c_str(), O_RDONLY | O_CLOEXEC));
        UniqueFd dest(::open((box_ / "layer").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        return images::unpack_layer(in.get(), dest.get(), "layer test", options);
    }
    // Unpacking must fail with a message holding `needle`, and leave the outside untouched.
    void expect_rejected(const std::vector<TarEntry>& entries, const std::string& needle) {
        try {
            unpack(make_tar(entries));
            ADD_FAILURE() << "accepted a layer that should fail with: " << needle;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
        EXPECT_TRUE(list_tree(box_ / "outside").empty());
        EXPECT_FALSE(std::filesystem::exists(box_ / "escape"));
    }
    std::string layer(const std::string& rel) const { return box_ / ("layer/" + rel); }

    TempDir box_{"berth-unpack"};
};

TEST_F(Unpack, KeepsOwnersModesTimesXattrsLinksAndDevices) {
    std::vector<TarEntry> entries = {
        {.name = "./", .type = 'd', .mode = 0755},
        {.name = "etc/", .type = 'd', .mode = 0750, .uid = 1000, .gid = 1000, .mtime = 1000},
        {.name = "etc/suid",
         .data = "#!",
         .mode = 04755,
         .uid = 1000,
         .gid = 2000,
         .mtime = 12345,
         .xattrs = {{"user.berth", "value"}}},
        {.name = "etc/hard", .type = 'h', .data = "etc/suid"},
        {.name = "etc/abs", .type = 'l', .data = "/etc/passwd"},
        {.name = "dev/null", .type = 'c', .mode = 0666, .dev_major = 1, .dev_minor = 3},
        {.name = "dev/fifo", .type = 'p', .mode = 0600},
        {.name = "gone/.wh.file", .data = ""},
        {.name = "opaque/.wh..wh..opq", .data = ""},
        {.name = "opaque/kept", .data = "k"},
    };
    std::string tar = make_tar(entries);
    UnpackResult r = unpack(make_tar(entries, /*gzip=*/true));
    EXPECT_EQ(r.diff_id.hex(), sha256_hex(tar)) << "DiffID is the digest of the plain tar";

    struct stat st;
    ASSERT_EQ(::lstat(layer("etc/suid").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 04755u);
    EXPECT_EQ(st.st_uid, 1000u);
    EXPECT_EQ(st.st_gid, 2000u);
    EXPECT_EQ(st.st_mtime, 12345);
    EXPECT_EQ(st.st_nlink, 2u);
    char value[16] = {};
    EXPECT_EQ(::lgetxattr(layer("etc/suid").c_str(), "user.berth", value, sizeof value), 5);
    EXPECT_STREQ(value, "value");
    ASSERT_EQ(::lstat(layer("etc").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0750u);
    EXPECT_EQ(st.st_mtime, 1000) << "directory mtimes are set after their children";
    EXPECT_EQ(std::filesystem::read_symlink(layer("etc/abs")), "/etc/passwd");
    ASSERT_EQ(::lstat(layer("dev/null").c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_EQ(st.st_rdev, makedev(1, 3));
    ASSERT_EQ(::lstat(layer("dev/fifo").c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
    ASSERT_EQ(::lstat(layer("gone/file").c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode)) << "whiteout = overlayfs char 0/0";
    EXPECT_EQ(st.st_rdev, makedev(0, 0));
    EXPECT_FALSE(std::filesystem::exists(layer("gone/.wh.file")));
    EXPECT_EQ(::lgetxattr(layer("opaque").c_str(), "trusted.overlay.opaque", value, sizeof value),
              1);
    EXPECT_EQ(value[0], 'y');
    EXPECT_FALSE(std::filesystem::exists(layer("opaque/.wh..wh..opq")));
    EXPECT_EQ(r.file_bytes, 3u);
}

TEST_F(Unpack, MissingParentDirectoriesAreCreated) {
    std::vector<TarEntry> entries = {{.name = "a/b", .data = "hello"}};
    unpack(make_tar(entries));
    EXPECT_EQ(slurp(layer("a/b")), "hello");
}

// A later entry replaces an earlier one of the same name whatever both are (a directory
// again keeps its children), and the directories kept open between entries follow.
TEST_F(Unpack, LaterEntriesReplaceEarlierOnes) {
    unpack(make_tar({
        {.name = "a/b/x", .data = "x"},
        {.name = "a/b", .data = "now a file"},  // dir -> file
        {.name = "d/e/f", .data = "deep"},
        {.name = "f", .type = 'l', .data = "/etc/passwd"},
        {.name = "f", .data = "not through the link"},  // symlink -> file
        {.name = "g", .data = "file"},
        {.name = "g", .type = 'd', .mode = 0711},  // file -> dir
        {.name = "g/in", .data = "in g"},
        {.name = "d", .type = 'd', .mode = 0750},  // dir again: kept, mode updated
        {.name = "h", .data = "old"},
        {.name = "h", .type = 'h', .data = "d/e/f"},  // file -> hardlink
        {.name = "d/e/g", .data = "next to f"},
    }));
    EXPECT_EQ(slurp(layer("a/b")), "now a file");
    EXPECT_EQ(slurp(layer("f")), "not through the link");
    EXPECT_FALSE(std::filesystem::is_symlink(layer("f")));
    EXPECT_EQ(slurp(layer("g/in")), "in g");
    EXPECT_EQ(slurp(layer("d/e/f")), "deep");
    EXPECT_EQ(slurp(layer("d/e/g")), "next to f");
    struct stat st;
    ASSERT_EQ(::lstat(layer("d").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0750u);
    ASSERT_EQ(::lstat(layer("h").c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 2u);
    EXPECT_EQ(slurp(layer("h")), "deep");
    ASSERT_EQ(::lstat(layer("g").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0711u);
    // A file that replaced a directory is no parent for a later entry.
    std::filesystem::remove_all(box_ / "layer");
    std::filesystem::create_directory(box_ / "layer");
    expect_rejected({{.name = "a/b/x", .data = "x"},
                     {.name = "a/b", .data = "file"},
                     {.name = "a/b/y", .data = "y"}},
                    "entry a/b/y: parent a/b is not a directory");
}

TEST_F(Unpack, RejectsAbsoluteNames) {
    std::string name = "berth-abs-test-" + std::to_string(::getpid());
    expect_rejected({{.name = "/" + name, .data = "x"}}, "entry /" + name + ": absolute name");
    EXPECT_FALSE(std::filesystem::exists("/" + name));
    EXPECT_FALSE(std::filesystem::exists(layer(name))) << "refused, not reinterpreted";
}

TEST_F(Unpack, RejectsDevicesOutsideDev) {
    expect_rejected(
        {{.name = "etc/disk", .type = 'c', .mode = 0600, .dev_major = 1, .dev_minor = 3}},
        "entry etc/disk: device node outside /dev refused");
    expect_rejected({{.name = "null", .type = 'c', .mode = 0666, .dev_major = 1, .dev_minor = 3}},
                    "device node outside /dev");
}

TEST_F(Unpack, RejectsDotDot) {
    expect_rejected({{.name = "../escape", .data = "x"}}, "entry ../escape");
    expect_rejected({{.name = "a/../../escape", .data = "x"}}, "escapes the layer");
    expect_rejected({{.name = "/../escape", .data = "x"}}, "absolute name");
}

TEST_F(Unpack, RejectsPathsLongerThanPathMax) {
    std::string deep;
    for (int i = 0; i < 3000; ++i) deep += "d/";
    expect_rejected({{.name = deep + "f", .data = "x"}}, "path longer than PATH_MAX");
}

TEST_F(Unpack, RejectsFileThroughAbsoluteSymlink) {
    expect_rejected({{.name = "evil", .type = 'l', .data = box_ / "outside"},
                     {.name = "evil/pwned", .data = "x"}},
                    "parent evil is a symlink");
}

TEST_F(Unpack, RejectsFileThroughRelativeSymlink) {
    expect_rejected({{.name = "d", .type = 'd'},
                     {.name = "d/up", .type = 'l', .data = "../../outside"},
                     {.name = "d/up/pwned", .data = "x"}},
                    "entry d/up/pwned: parent d/up is a symlink");
}

TEST_F(Unpack, RejectsSymlinkNamedDotOrSlash) {
    expect_rejected({{.name = ".", .type = 'l', .data = "/"}, {.name = "pwned", .data = "x"}},
                    "layer root must be a dir");
    expect_rejected({{.name = "/", .type = 'l', .data = box_ / "outside"}}, "entry /: absolute");
}

TEST_F(Unpack, RejectsHardlinksOutsideTheLayer) {
    struct stat before;
    ASSERT_EQ(::stat("/etc/passwd", &before), 0);
    expect_rejected({{.name = "pw", .type = 'h', .data = "/etc/passwd"}},
                    "hardlink target /etc/passwd: absolute name");
    expect_rejected({{.name = "pw", .type = 'h', .data = "etc/passwd"}},
                    "hardlink target etc/passwd: not an earlier entry of this layer");
    expect_rejected({{.name = "pw", .type = 'h', .data = "../../../../../etc/passwd"}},
                    "escapes the layer");
    expect_rejected({{.name = "s", .type = 'l', .data = "/etc"},
                     {.name = "pw", .type = 'h', .data = "s/passwd"}},
                    "parent s is a symlink");
    struct stat after;
    ASSERT_EQ(::stat("/etc/passwd", &after), 0);
    EXPECT_EQ(before.st_nlink, after.st_nlink);
}

TEST_F(Unpack, RejectsBadWhiteouts) {
    expect_rejected({{.name = ".wh..", .data = ""}}, "whiteout of \".\" is invalid");
    expect_rejected({{.name = "d/.wh...", .data = ""}}, "whiteout of \"..\" is invalid");
    expect_rejected({{.name = ".wh.../..", .data = ""}}, "escapes the layer");
    expect_rejected({{.name = "d/.wh.", .data = ""}}, "whiteout of \"\" is invalid");
}

TEST_F(Unpack, RejectsOverlayXattrs) {
    expect_rejected({{.name = "f", .data = "x", .xattrs = {{"trusted.overlay.redirect", "/etc"}}}},
                    "xattr trusted.overlay.redirect would steer overlayfs");
}

TEST_F(Unpack, RejectsDecompressionBombs) {
    std::string big(8 << 20, '\0');
    std::string bomb = make_tar({{.name = "zeros", .data = big}}, /*gzip=*/true);
    ASSERT_LT(bomb.size(), 100000u);
    try {
        unpack(bomb, UnpackOptions{.max_bytes = 1 << 20});
        ADD_FAILURE() << "bomb accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("entry zeros: "), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("limit"), std::string::npos) << e.what();
    }
}

TEST_F(Unpack, RejectsGarbageAndTruncatedLayers) {
    EXPECT_THROW(unpack(std::string(4096, '\x7f')), Error);
    std::string tar = make_tar({{.name = "f", .data = std::string(100000, 'a')}}, true);
    EXPECT_THROW(unpack(tar.substr(0, tar.size() / 2)), Error);
    EXPECT_THROW(unpack(""), Error);
}

}  // namespace
}  // namespace berth::test
