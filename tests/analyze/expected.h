// What dive's definitions give for rootfs-fixtures/analyze-image.sh, worked out by hand from
// the sizes that script writes (every constant below is a size in the script).
#pragma once

#include <cstdint>

namespace berth::test::expected {

// Layer 0
constexpr uint64_t kTool = 100000, kConfig0 = 1000, kDeleted = 2000, kA = 3000, kB = 4000,
                   kOld = 300;
// Layer 1 (make/gmake are one hardlinked file: tar stores its bytes once; bin/sh is a symlink)
constexpr uint64_t kDeb = 50000, kLists = 20000, kConfig1 = 1500, kBlob = 1000000, kGitHead = 23,
                   kGitPack = 30000, kMake = 5000;
// Layer 2 (three whiteouts, an opaque opq/)
constexpr uint64_t kConfig2 = 1200, kNew = 700, kOpqNew = 400;
// Layer 3
constexpr uint64_t kPip = 6000, kNpm = 7000, kGo = 8000, kCompile = 9000;

// dive's layer size: the sum of the tar entries' sizes.
constexpr uint64_t kSize0 = kTool + kConfig0 + kDeleted + kA + kB + kOld;
constexpr uint64_t kSize1 = kDeb + kLists + kConfig1 + kBlob + kGitHead + kGitPack + kMake;
constexpr uint64_t kSize2 = kConfig2 + kNew + kOpqNew;
constexpr uint64_t kSize3 = kPip + kNpm + kGo + kCompile;
constexpr uint64_t kImageSize = kSize0 + kSize1 + kSize2 + kSize3;
constexpr uint64_t kUserSize = kSize1 + kSize2 + kSize3;

// Leaves visited per layer, with their sizes. Whiteouts: big/blob.bin (a file: 0),
// etc/deleted.txt (a file: 0), data/dir (a directory: charged what it hid, a + b). The
// opaque marker is no node (dive skips it). var/empty is an empty directory leaf of size 0.
constexpr uint64_t kLeaves0 = kSize0;
constexpr uint64_t kLeaves1 = kSize1;
constexpr uint64_t kLeaves2 = 0 + 0 + (kA + kB) + kConfig2 + kNew + kOpqNew;
constexpr uint64_t kLeaves3 = kSize3;
constexpr uint64_t kCumulative = kLeaves0 + kLeaves1 + kLeaves2 + kLeaves3;

// Paths with a node in 2+ layers: etc/config.txt (3 writes, smallest 1000),
// etc/deleted.txt (2000 + whiteout 0, smallest 0), big/blob.bin (1000000 + 0, smallest 0).
// /data/dir is a directory (no leaf) in layer 0, so its whiteout is its only node.
constexpr uint64_t kWasted = (kConfig0 + kConfig1 + kConfig2) + (kDeleted + 0) + (kBlob + 0);
// Every path's smallest size: a path with one node contributes all of it.
constexpr uint64_t kMinimum = kCumulative - kWasted + kConfig0 + 0 + 0;
inline double efficiency() {
    return double(kMinimum) / double(kCumulative);
}

// The final image: non-directory entries and their bytes.
constexpr uint64_t kFinalFiles = 15;  // tool sh deb lists config HEAD pack make gmake new
                                      // opq/new pip npm go compile
constexpr uint64_t kFinalBytes = kTool + kConfig2 + kDeb + kLists + kGitHead + kGitPack + kMake +
                                 kNew + kOpqNew + kPip + kNpm + kGo + kCompile;

struct Layer {
    uint64_t size;
    uint64_t added_files, added_bytes, modified_files, modified_bytes, removed_files, removed_bytes;
    const char* command;  // a part of the history's created_by
};
constexpr Layer kLayers[4] = {
    {kSize0, 6, kSize0, 0, 0, 0, 0, "ADD file:base.tar"},
    // 8 new entries (the hardlink and bin/sh count as files, 0 bytes); config.txt rewritten
    {kSize1, 8, kDeb + kLists + kBlob + kGitHead + kGitPack + kMake, 1, kConfig1, 0, 0,
     "apt-get install -y make"},
    // blob.bin, deleted.txt, a.bin and b.bin (the dir), opq/old.txt (the opaque dir) removed
    {kSize2, 2, kNew + kOpqNew, 1, kConfig2, 5, kBlob + kDeleted + kA + kB + kOld, "rm -rf"},
    {kSize3, 4, kSize3, 0, 0, 0, 0, "pip install x"},
};

}  // namespace berth::test::expected
