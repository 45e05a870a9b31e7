// Helpers for the image tests: scratch dirs removed even when a test fails, the fixture
// images built once per test binary by rootfs-fixtures/oci-image.sh, and an in-memory tar
// writer (libarchive) for hand-made and hostile layers.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace berth::test {

class TempDir {
  public:
    explicit TempDir(const std::string& stem = "berth-images");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

  private:
    std::string path_;
};

// OCI layout directories and a layout tar, built once (read-only for the tests).
struct Fixtures {
    std::string busybox_dir;
    std::string multilayer_dir;
    std::string multilayer_tar;
};
const Fixtures& fixtures();

struct TarEntry {
    std::string name;
    char type = 'f';   // f file, d dir, l symlink, h hardlink, c char device, p fifo
    std::string data;  // file content, or the symlink/hardlink target
    unsigned mode = 0644;
    int64_t uid = 0, gid = 0;
    unsigned dev_major = 0, dev_minor = 0;
    int64_t mtime = 0;
    std::map<std::string, std::string> xattrs;
};

// A pax tar of the entries; gzip-compressed when asked.
std::string make_tar(const std::vector<TarEntry>& entries, bool gzip = false);

std::string slurp(const std::string& path);
void spit(const std::string& path, const std::string& data);
std::string sha256_hex(const std::string& data);
// Every path below dir (relative, sorted): to prove nothing else appeared.
std::vector<std::string> list_tree(const std::string& dir);

}  // namespace berth::test
